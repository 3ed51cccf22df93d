using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PerfCI.Testing;

namespace PerfCI.Runner.Tests;

/// <summary>
/// The whole path on real parts: a server process on real PostgreSQL, a runner process, a local git
/// repository whose perfci.yml starts perfci-bench's simulated engine, and the measurements in the
/// database at the end.
/// </summary>
public sealed class AgentEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Runner_ClaimsARun_RunsTheSuiteAgainstTheEngine_AndItsMeasurementsAreStored()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(Runner_ClaimsARun_RunsTheSuiteAgainstTheEngine_AndItsMeasurementsAreStored));
        using var workdir = new TempDirectory();
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__PerfCI"] = connectionString,
            ["Git__CacheDirectory"] = Path.Combine(workdir.Path, "server-git"),
            ["Runners__ClaimWait"] = "00:00:05",
        };
        await using var tokenProcess = await ServerProcess.RunToExitAsync(["runner-token", "--labels", "sim"], environment, workdir.Path, TimeSpan.FromSeconds(60));
        var token = tokenProcess.Output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("perfci_reg_", StringComparison.Ordinal));
        var port = FreePort.Next();
        var url = $"http://127.0.0.1:{port}";
        await using var server = ServerProcess.Start([], new Dictionary<string, string?>(environment) { ["Urls"] = url }, workdir.Path);
        await server.WaitForOkAsync(new Uri($"{url}/health/ready"), TimeSpan.FromSeconds(90));
        var config = Path.Combine(workdir.Path, "runner", "runner.json");
        using (var output = new StringWriter())
        {
            var registered = await RunnerCommandLine.Build().Parse(["register", "--server", url, "--token", token, "--name", "sim-runner", "--config", config])
                .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);
            Assert.True(registered == 0, output.ToString());
        }
        var (repository, sha) = CreateEngineRepository(Path.Combine(workdir.Path, "engine"));
        using var http = new HttpClient { BaseAddress = new Uri(url) };
        (await http.PostAsJsonAsync("/api/repositories", new { owner = "local", name = "engine", cloneUrl = repository }, Ct)).EnsureSuccessStatusCode();
        using var created = await http.PostAsJsonAsync("/api/runs", new { repository = "local/engine", commit = sha }, Ct);
        var runId = (await created.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("id").GetInt64();

        await using var runner = ServerProcess.Start(
            ["run", "--config", config, "--heartbeat-seconds", "1", "--backoff-seconds", "1"], new Dictionary<string, string?>(), workdir.Path,
            Path.Combine(AppContext.BaseDirectory, "perfci-runner.dll"));
        var run = await WaitForRunAsync(http, runId, TimeSpan.FromMinutes(2));

        Assert.True(run.GetProperty("state").GetInt32() == 3, $"run: {run}\nrunner:\n{runner.Output}\nserver:\n{server.Output}"); // Succeeded
        await using var db = TestPostgres.CreateContext(connectionString);
        var scenarios = await db.Measurements.Where(m => m.RunId == runId).Select(m => m.Series.Scenario).Distinct().ToListAsync(Ct);
        Assert.Equal(["cold_start", "tiny@c1", "tiny@c2"], scenarios.Order());
        var samples = await db.Measurements.Where(m => m.RunId == runId && m.Series.Scenario == "tiny@c2" && m.Series.Metric == "tpot_p50").Select(m => m.Samples).SingleAsync(Ct);
        Assert.Equal(2, samples.Length);                      // one sample per trial
        Assert.All(samples, tpot => Assert.InRange(tpot, 9, 14)); // the engine's 10 ms step, plus what two sequences add
        var jobIds = await db.Jobs.Where(j => j.RunId == runId).Select(j => j.Id).ToListAsync(Ct);
        var logs = await db.JobLogChunks.Where(c => jobIds.Contains(c.JobId)).Select(c => c.Text).ToListAsync(Ct);
        Assert.Contains(logs, l => l.Contains("engine ready after", StringComparison.Ordinal));

        runner.Terminate();
        await runner.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, runner.ExitCode);
    }

    private static (string Path, string Sha) CreateEngineRepository(string path)
    {
        Directory.CreateDirectory(path);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var bench = Path.Combine(AppContext.BaseDirectory, "perfci-bench.dll");
        File.WriteAllText(Path.Combine(path, "engine.json"), """{ "model": "sim", "decodeMsPerStep": 10, "prefillMsPerToken": 0.01, "startupDelayMs": 300 }""");
        File.WriteAllText(Path.Combine(path, "perfci.yml"), $$"""
            suites:
              - name: serving
                runs-on: [sim]
                engine:
                  command: exec '{{dotnet}}' '{{bench}}' simulate --port {port} --config {checkout}/engine.json
                  ready: http://127.0.0.1:{port}/health
                  timeout: 60s
                scenarios:
                  - name: tiny
                    workload: { input-tokens: 32, output-tokens: 8 }
                    concurrency: [1, 2]
                    requests: 6
                    warmup: 2
                    trials: 2
            """);
        Git(path, "init", "--quiet", "--initial-branch=main");
        Git(path, "add", ".");
        Git(path, "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "-m", "Engine and its perfci.yml");
        return (path, Git(path, "rev-parse", "HEAD").Trim());
    }

    private static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error}");
        return output;
    }

    private static async Task<JsonElement> WaitForRunAsync(HttpClient http, long runId, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}", Ct);
            var state = run.GetProperty("state").GetInt32();
            if (state >= 3 || DateTime.UtcNow > deadline) // Succeeded, Failed or Cancelled
                return run;
            await Task.Delay(250, Ct);
        }
    }
}
