using System.Text.Json;
using PerfCI.Bench.Engine;
using PerfCI.Bench.Load;
using PerfCI.Bench.Suites;
using PerfCI.Core.Suites;
using PerfCI.Runner.Hardware;

namespace PerfCI.Runner.Agent;

public sealed record AgentOptions(string WorkDirectory, TimeSpan HeartbeatInterval, TimeSpan ErrorBackoffMin, TimeSpan ErrorBackoffMax);

/// <summary>
/// The agent loop, modelled on GitHub's runner: long-poll claim (an empty answer means poll again
/// at once), errors back off with jitter, a rejected credential ends the process with the
/// do-not-restart exit code. One job at a time; the first heartbeat must succeed before any work.
/// </summary>
public sealed class RunnerAgent(ServerApi api, AgentOptions options, TextWriter output)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<int> RunAsync(CancellationToken stopping)
    {
        await api.CheckCredentialAsync(stopping);
        output.WriteLine("perfci-runner: connected; waiting for jobs");
        while (!stopping.IsCancellationRequested)
        {
            ClaimedJob? job;
            try
            {
                job = await api.ClaimAsync(stopping);
            }
            catch (HttpRequestException e)
            {
                await BackOffAsync($"claim failed: {e.Message}", stopping);
                continue;
            }
            catch (TaskCanceledException) when (!stopping.IsCancellationRequested)
            {
                continue; // the long poll outlived the client's timeout: poll again
            }
            if (job is not null)
                await ExecuteAsync(job, stopping);
        }
        return ExitCodes.Success;
    }

    private async Task ExecuteAsync(ClaimedJob job, CancellationToken stopping)
    {
        output.WriteLine($"perfci-runner: job {job.JobId} (run {job.RunId}, attempt {job.Attempt}) for {job.CommitSha}");
        await api.HeartbeatAsync(job, stopping); // must succeed before the engine starts
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var heartbeats = HeartbeatLoopAsync(job, work);
        await using var log = new JobLog(api, job, output);
        log.Start();
        var succeeded = false;
        string? error = null, engineTail = null;
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
            document = document with { Hardware = await HardwareProbe.ProbeAsync(work.Token) };
            await api.UploadAsync(job, document, work.Token);
            log.Line($"uploaded {document.Scenarios.Sum(s => s.Metrics.Count)} metrics of {document.Scenarios.Count} scenarios");
            succeeded = true;
        }
        catch (EngineException e)
        {
            error = e.Message;
            engineTail = string.Join('\n', e.LastLines.TakeLast(50));
            log.Line($"engine failed: {e.Message}");
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            error = "cancelled";
            log.Line("the job was cancelled or its lease was lost");
        }
        catch (LeaseLostException)
        {
            output.WriteLine($"perfci-runner: lost the lease on job {job.JobId}; dropping it");
            return;
        }
        catch (Exception e) when (e is InvalidDataException or InvalidOperationException or IOException or JsonException or FormatException)
        {
            error = e.Message;
            log.Line($"failed: {e.Message}");
        }
        finally
        {
            await work.CancelAsync();
            await heartbeats;
        }
        try
        {
            await log.FlushAsync(stopping);
            await api.CompleteAsync(job, succeeded, error, engineTail, stopping);
            output.WriteLine($"perfci-runner: job {job.JobId} {(succeeded ? "succeeded" : $"failed: {error}")}");
        }
        catch (LeaseLostException)
        {
            output.WriteLine($"perfci-runner: lost the lease on job {job.JobId} before completing it");
        }
    }

    /// <summary>Renews the lease; a "cancel" answer or a lost lease stops the job's work.</summary>
    private async Task HeartbeatLoopAsync(ClaimedJob job, CancellationTokenSource work)
    {
        while (!work.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.HeartbeatInterval, work.Token);
                var answer = await api.HeartbeatAsync(job, work.Token);
                if (answer.Cancel)
                    await work.CancelAsync();
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (LeaseLostException)
            {
                await work.CancelAsync();
                return;
            }
            catch (HttpRequestException)
            {
                // A missed heartbeat is not fatal: the lease lasts several intervals.
            }
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
