using System.CommandLine;
using System.Diagnostics;
using PerfCI.Core.Results;
using PerfCI.Testing;

namespace PerfCI.Runner.Tests;

/// <summary>Offline mode: a suite of a local repository at a commit, with no server at all.</summary>
public sealed class ExecCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Exec_RunsTheSuiteAtTheCommit_AndWritesTheResultDocument()
    {
        using var workdir = new TempDirectory();
        var repository = Path.Combine(workdir.Path, "engine");
        Directory.CreateDirectory(repository);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var bench = Path.Combine(AppContext.BaseDirectory, "perfci-bench.dll");
        await File.WriteAllTextAsync(Path.Combine(repository, "engine.json"), """{ "model": "sim", "decodeMsPerStep": 5 }""", Ct);
        await File.WriteAllTextAsync(Path.Combine(repository, "perfci.yml"), $$"""
            suites:
              - name: offline
                engine:
                  command: exec '{{dotnet}}' '{{bench}}' simulate --port {port} --config {checkout}/engine.json
                  ready: http://127.0.0.1:{port}/health
                scenarios:
                  - name: tiny
                    workload: { input-tokens: 16, output-tokens: 4 }
                    concurrency: 1
                    requests: 4
                    warmup: 1
                    trials: 2
            """, Ct);
        Git(repository, "init", "--quiet", "--initial-branch=main");
        Git(repository, "add", ".");
        Git(repository, "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "-m", "engine");
        var sha = Git(repository, "rev-parse", "HEAD").Trim();
        var results = Path.Combine(workdir.Path, "results.json");
        using var output = new StringWriter();

        var exit = await RunnerCommandLine.Build().Parse(["exec", "--repo", repository, "--commit", sha, "--out", results])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);

        Assert.True(exit == 0, output.ToString());
        var document = ResultDocumentJson.Parse(await File.ReadAllTextAsync(results, Ct), "results.json");
        Assert.Equal(("offline", sha), (document.Suite, document.Engine?.Commit));
        Assert.Equal(["cold_start", "tiny@c1"], document.Scenarios.Select(s => s.Key));
        Assert.Equal(2, document.Scenarios[1].Metrics.Single(m => m.Name == "ttft_p50").Samples.Count);
        Assert.NotNull(document.Hardware);
        Assert.Contains($"perfci upload results.json --repository OWNER/NAME --commit {sha}", output.ToString(), StringComparison.Ordinal);
    }

    private static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var text = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error}");
        return text;
    }
}
