using System.CommandLine;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Testing;

namespace PerfCI.Runner.Tests;

/// <summary>
/// A real <c>perfci</c> server process on its own database, and what the end-to-end tests do
/// through it: register runners with the CLI, start them as processes, register a repository,
/// create runs and wait for them. Everything lives under one temporary directory.
/// </summary>
internal sealed class EndToEndServer : IAsyncDisposable
{
    public const string RunnerLabel = "sim";

    private readonly TempDirectory _workdir;
    private readonly Dictionary<string, string?> _environment;
    private readonly List<ServerProcess> _servers = []; // the last one is the one running
    private readonly List<ServerProcess> _runners = [];

    private EndToEndServer(TempDirectory workdir, Dictionary<string, string?> environment, ServerProcess server, string url, string connectionString, string adminToken)
    {
        _workdir = workdir;
        _environment = environment;
        _servers.Add(server);
        Url = url;
        ConnectionString = connectionString;
        // The tests act as an admin (perfci create-admin, then perfci api-token create).
        Http = new HttpClient { BaseAddress = new Uri(url) };
        Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminToken);
    }

    public string Url { get; }
    public string ConnectionString { get; }
    public HttpClient Http { get; }
    public string WorkDirectory => _workdir.Path;

    /// <summary>The servers' output and every runner's, for a failed assertion's message.</summary>
    public string Output => string.Join("\n",
        _servers.Select((s, i) => $"server {i}:\n{s.Output}").Concat(_runners.Select((r, i) => $"runner {i}:\n{r.Output}")));

    /// <summary>
    /// Starts the server on a fresh database named after <paramref name="test"/>; <paramref name="settings"/>
    /// (environment variables such as <c>Runners__LeaseDuration</c>) are added to the defaults.
    /// </summary>
    public static async Task<EndToEndServer> StartAsync(string test, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(test);
        var workdir = new TempDirectory();
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__PerfCI"] = connectionString,
            ["Git__CacheDirectory"] = Path.Combine(workdir.Path, "server-git"),
            // A short long-poll, so that a runner told to stop is not held by an open claim for long.
            ["Runners__ClaimWait"] = "00:00:05",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            environment[key] = value;
        environment["Urls"] = $"http://127.0.0.1:{FreePort.Next()}";
        ServerProcess server;
        string adminToken;
        try
        {
            adminToken = await ServerProcess.CreateAdminTokenAsync(environment, workdir.Path);
            server = await StartServerAsync(environment, workdir.Path);
        }
        catch
        {
            workdir.Dispose();
            throw;
        }
        return new EndToEndServer(workdir, environment, server, environment["Urls"]!, connectionString, adminToken);
    }

    private static async Task<ServerProcess> StartServerAsync(Dictionary<string, string?> environment, string workdir)
    {
        var server = ServerProcess.Start([], environment, workdir);
        try
        {
            await server.WaitForOkAsync(new Uri($"{environment["Urls"]}/health/ready"), TimeSpan.FromSeconds(90));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server crashes (SIGKILL): its port refuses connections until <see cref="StartAgainAsync"/>.</summary>
    public Task CrashAsync() => _servers[^1].KillAsync();

    /// <summary>A new server process on the same port and database, as after a restart; returns once it is ready.</summary>
    public async Task StartAgainAsync() => _servers.Add(await StartServerAsync(_environment, _workdir.Path));

    /// <summary>
    /// A one-time token from <c>perfci runner-token</c>, then <c>perfci-runner register</c> with it;
    /// returns the runner's credential file (its work directory is beside it).
    /// </summary>
    public async Task<string> RegisterRunnerAsync(string name, CancellationToken ct)
    {
        await using var tokenProcess = await ServerProcess.RunToExitAsync(["runner-token", "--labels", RunnerLabel], _environment, _workdir.Path, TimeSpan.FromSeconds(60));
        var token = tokenProcess.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("perfci_reg_", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"perfci runner-token printed no token:\n{tokenProcess.Output}");
        var config = Path.Combine(_workdir.Path, name, "runner.json");
        using var output = new StringWriter();
        var registered = await RunnerCommandLine.Build().Parse(["register", "--server", Url, "--token", token, "--name", name, "--config", config])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, ct);
        Assert.True(registered == 0, output.ToString());
        return config;
    }

    /// <summary><c>perfci-runner run</c> as a process: heartbeats every second, so that short test leases hold.</summary>
    public ServerProcess StartRunner(string config)
    {
        var runner = ServerProcess.Start(
            ["run", "--config", config, "--heartbeat-seconds", "1", "--backoff-seconds", "1"], new Dictionary<string, string?>(), _workdir.Path,
            Path.Combine(AppContext.BaseDirectory, "perfci-runner.dll"));
        _runners.Add(runner);
        return runner;
    }

    public async Task AddRepositoryAsync(string owner, string name, string cloneUrl, CancellationToken ct)
    {
        using var response = await Http.PostAsJsonAsync("/api/repositories", new { owner, name, cloneUrl }, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>A manual run of <paramref name="sha"/>, of the named suites only when some are given.</summary>
    public async Task<long> CreateRunAsync(string repository, string sha, string[]? suites, CancellationToken ct)
    {
        using var created = await Http.PostAsJsonAsync("/api/runs", new { repository, commit = sha, suites }, ct);
        created.EnsureSuccessStatusCode();
        return (await created.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetInt64();
    }

    /// <summary>The run once it has ended (succeeded, failed or cancelled), or as it is at the deadline.</summary>
    public async Task<JsonElement> WaitForRunAsync(long runId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await Http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}", ct);
            if (run.GetProperty("state").Deserialize<RunState>() >= RunState.Succeeded || DateTime.UtcNow > deadline)
                return run;
            await Task.Delay(250, ct);
        }
    }

    /// <summary>Waits until a job of the run has logged a line containing <paramref name="text"/>; returns that job's id. A run that ended first fails the wait.</summary>
    public async Task<long> WaitForJobLogAsync(long runId, string text, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            await using (var db = TestPostgres.CreateContext(ConnectionString))
            {
                var jobId = await db.JobLogChunks.Where(c => db.Jobs.Any(j => j.Id == c.JobId && j.RunId == runId) && c.Text.Contains(text))
                    .Select(c => (long?)c.JobId).FirstOrDefaultAsync(ct);
                if (jobId is { } found)
                    return found;
                if (await db.Runs.Where(r => r.Id == runId).Select(r => new { r.State, r.Error }).SingleAsync(ct) is { State: >= RunState.Succeeded } ended)
                    throw new InvalidOperationException($"Run {runId} ended ({ended.State}: {ended.Error}) before any job logged '{text}'.\n{Output}");
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No job of run {runId} logged '{text}' within {timeout}.\n{Output}");
            await Task.Delay(100, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var runner in _runners)
            await runner.DisposeAsync();
        KillLeftoverEngines();
        foreach (var server in _servers)
            await server.DisposeAsync();
        Http.Dispose();
        _workdir.Dispose();
    }

    /// <summary>
    /// An engine leads its own session, so a runner killed with SIGKILL leaves it running (under
    /// systemd, KillMode=control-group would end it). Its command line names its checkout, which is
    /// under this server's directory: whatever names that directory was started by this test.
    /// </summary>
    private void KillLeftoverEngines()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
                continue;
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // gone meanwhile, or not ours to read
            }
            if (!commandLine.Contains(_workdir.Path, StringComparison.Ordinal))
                continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // Exited between the look and the kill.
            }
        }
    }
}
