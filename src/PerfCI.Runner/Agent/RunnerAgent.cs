using System.Text.Json;
using PerfCI.Bench.Engine;
using PerfCI.Bench.Load;
using PerfCI.Bench.Suites;
using PerfCI.Core.Results;
using PerfCI.Core.Suites;
using PerfCI.Runner.Hardware;

namespace PerfCI.Runner.Agent;

public sealed record AgentOptions(string WorkDirectory, TimeSpan HeartbeatInterval, TimeSpan ErrorBackoffMin, TimeSpan ErrorBackoffMax);

/// <summary>
/// The agent loop, modelled on GitHub's runner: long-poll claim (an empty answer means poll again
/// at once), errors back off with jitter, a rejected credential ends the process with the
/// do-not-restart exit code. One job at a time; the first heartbeat must succeed before any work.
/// Nothing that goes wrong in one job ends the process: the job fails, or is left to the server's
/// lease expiry, and the runner claims the next.
/// </summary>
public sealed class RunnerAgent(ServerApi api, AgentOptions options, TextWriter output)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<int> RunAsync(CancellationToken stopping)
    {
        await ConnectAsync(stopping);
        output.WriteLine("perfci-runner: connected; waiting for jobs");
        while (!stopping.IsCancellationRequested)
        {
            ClaimedJob? job;
            try
            {
                job = await api.ClaimAsync(stopping);
            }
            catch (TaskCanceledException) when (!stopping.IsCancellationRequested)
            {
                continue; // the long poll outlived the client's timeout: poll again
            }
            catch (Exception e) when (e is HttpRequestException or JsonException)
            {
                await BackOffAsync($"claim failed: {e.Message}", stopping);
                continue;
            }
            if (job is not null)
                await ExecuteAsync(job, stopping);
        }
        return ExitCodes.Success;
    }

    /// <summary>Checks the credential; a server that cannot be reached yet (it restarts, the network is not up) is waited for.</summary>
    private async Task ConnectAsync(CancellationToken stopping)
    {
        while (true)
        {
            try
            {
                await api.CheckCredentialAsync(stopping);
                return;
            }
            catch (HttpRequestException e)
            {
                await BackOffAsync($"cannot reach the server: {e.Message}", stopping);
            }
            catch (TaskCanceledException) when (!stopping.IsCancellationRequested)
            {
                await BackOffAsync("the server did not answer", stopping);
            }
        }
    }

    private async Task ExecuteAsync(ClaimedJob job, CancellationToken stopping)
    {
        output.WriteLine($"perfci-runner: job {job.JobId} (run {job.RunId}, attempt {job.Attempt}) for {job.CommitSha}");
        await using var lease = new JobLease(api, job, options.HeartbeatInterval, stopping);
        try
        {
            output.WriteLine($"perfci-runner: job {job.JobId} {await RunJobAsync(job, lease, stopping)}");
        }
        catch (Exception e) when (e is not RunnerRevokedException && !stopping.IsCancellationRequested)
        {
            // Whatever one job runs into must not end the runner (and the jobs queued behind it).
            output.WriteLine($"perfci-runner: job {job.JobId} left to the server's lease expiry after an unexpected error: {e}");
        }
        if (lease.Revoked)
            throw new RunnerRevokedException();
    }

    /// <summary>The job from its first heartbeat to its end; what became of it, for the runner's own output.</summary>
    private async Task<string> RunJobAsync(ClaimedJob job, JobLease lease, CancellationToken stopping)
    {
        await using var log = new JobLog(api, job, output);
        log.Start();
        // Before the engine is started (and holds a GPU for minutes), the lease must be known to hold.
        if (!await lease.CallAsync("the first heartbeat", lease.RenewAsync, log.Line))
            return "dropped: its lease could not be renewed";
        lease.StartHeartbeats();
        var (document, error, engineTail) = await BenchmarkAsync(job, lease, log, stopping);
        if (lease.IsLost)
            return "dropped: its lease was lost (the job may run elsewhere now)";
        if (document is not null)
        {
            try
            {
                if (!await lease.CallAsync("upload", ct => api.UploadAsync(job, document, ct), log.Line))
                    return "dropped: the upload did not get through while the lease held; the server's lease expiry decides";
                log.Line($"uploaded {document.Scenarios.Sum(s => s.Metrics.Count)} metrics of {document.Scenarios.Count} scenarios");
            }
            catch (HttpRequestException e)
            {
                error = e.Message;
                document = null;
                log.Line(e.Message);
            }
        }
        var succeeded = document is not null;
        await log.FlushAsync(stopping); // the job's log is closed once it has ended
        await lease.StopHeartbeatsAsync();
        if (!await lease.CallAsync("completing the job", ct => api.CompleteAsync(job, succeeded, error, engineTail, ct), log.Line))
            return "dropped: its end was not confirmed while the lease held (or a try whose answer was lost ended it); the server's lease expiry decides";
        return succeeded ? "succeeded" : $"failed: {error}";
    }

    /// <summary>Checkout, build and the suite; the result document, or why there is none.</summary>
    private async Task<(ResultDocument? Document, string? Error, string? EngineTail)> BenchmarkAsync(
        ClaimedJob job, JobLease lease, JobLog log, CancellationToken stopping)
    {
        // Stopped by a lost lease (the job may be another runner's now) or by a cancel in a heartbeat's answer.
        using var work = CancellationTokenSource.CreateLinkedTokenSource(lease.Token, lease.CancelRequested);
        try
        {
            var suite = JsonSerializer.Deserialize<SuiteDefinition>(job.Suite, Json)
                ?? throw new InvalidDataException("the job carries no suite definition");
            var checkout = await CheckoutAsync(job, log, work.Token);
            if (!string.IsNullOrWhiteSpace(suite.Build))
            {
                log.Line($"build: {suite.Build}");
                await Processes.ShellAsync(suite.Build, checkout, suite.Environment, log.Line, work.Token);
            }
            var document = await SuiteRunner.RunAsync(suite, checkout, new LogProgress(log), work.Token);
            return (document with { Hardware = await HardwareProbe.ProbeAsync(work.Token) }, null, null);
        }
        catch (EngineException e)
        {
            log.Line($"engine failed: {e.Message}");
            return (null, e.Message, string.Join('\n', e.LastLines.TakeLast(50)));
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            log.Line(lease.IsLost ? "the lease was lost: stopping the job" : "the job was cancelled");
            return (null, "cancelled", null);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            // git, the build, a suite this runner cannot read, or a bug: the job fails, the runner goes on.
            var expected = e is InvalidDataException or InvalidOperationException or IOException or JsonException or FormatException;
            log.Line($"failed: {e.Message}");
            return (null, expected ? e.Message : $"{e.GetType().Name}: {e.Message}", null);
        }
    }

    private async Task<string> CheckoutAsync(ClaimedJob job, JobLog log, CancellationToken ct)
    {
        var mirrors = Path.Combine(options.WorkDirectory, "mirrors");
        var mirror = Path.Combine(mirrors, Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(job.CloneUrl)))[..16] + ".git");
        Directory.CreateDirectory(mirrors);
        if (!Directory.Exists(mirror))
        {
            log.Line($"cloning {job.CloneUrl}");
            await Processes.GitAsync(["clone", "--mirror", "--quiet", job.CloneUrl, mirror], ct);
        }
        else
        {
            await Processes.GitAsync(["--git-dir", mirror, "fetch", "--quiet", "--prune", "origin", "+refs/*:refs/*"], ct);
        }
        var checkout = Path.Combine(options.WorkDirectory, "jobs", job.JobId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Directory.Exists(checkout))
            Directory.Delete(checkout, recursive: true);
        await Processes.GitAsync(["clone", "--quiet", "--shared", "--no-checkout", mirror, checkout], ct);
        await Processes.GitAsync(["-C", checkout, "checkout", "--quiet", "--detach", job.CommitSha], ct);
        log.Line($"checked out {job.CommitSha} in {checkout}");
        return checkout;
    }

    private async Task BackOffAsync(string why, CancellationToken ct)
    {
        var delay = options.ErrorBackoffMin + (options.ErrorBackoffMax - options.ErrorBackoffMin) * Random.Shared.NextDouble();
        output.WriteLine($"perfci-runner: {why}; retrying in {delay.TotalSeconds:0.#} s");
        await Task.Delay(delay, ct);
    }

    private sealed class LogProgress(JobLog log) : ISuiteProgress
    {
        public void Log(string line) => log.Line(line);

        public IProgress<int>? StartScenario(ScenarioSpec spec, int trial) => null;
    }
}
