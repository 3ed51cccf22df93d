using System.Net;

namespace PerfCI.Runner.Agent;

/// <summary>
/// The runner's hold on one job, renewed by heartbeats. The lease is surely lost when the server
/// says it is stale (409), or when no renewal has got through for a whole lease duration: by then
/// the server may have expired it and handed the job to another runner. Until then a call that must
/// reach the server (the upload, the end of the job) is worth making again: an outage shorter than
/// the lease costs the job nothing, since the heartbeats carry on and renew it once the server is back.
/// </summary>
public sealed class JobLease : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LongestRetryDelay = TimeSpan.FromSeconds(30);

    private readonly ServerApi _api;
    private readonly ClaimedJob _job;
    private readonly TimeSpan _heartbeatInterval;
    private readonly CancellationToken _stopping;
    // Cancelled when the lease is lost, or when the runner is told to stop.
    private readonly CancellationTokenSource _held;
    private readonly CancellationTokenSource _heartbeatsEnd;
    private readonly CancellationTokenSource _cancelRequested = new();
    private Task? _heartbeats;
    private TimeSpan _duration;

    public JobLease(ServerApi api, ClaimedJob job, TimeSpan heartbeatInterval, CancellationToken stopping)
    {
        _api = api;
        _job = job;
        _heartbeatInterval = heartbeatInterval;
        _stopping = stopping;
        _held = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _heartbeatsEnd = CancellationTokenSource.CreateLinkedTokenSource(_held.Token);
        Renewed(job.LeaseDuration, job.LeaseExpiresAt); // the claim started the lease
    }

    /// <summary>Cancelled once the lease is lost (or the runner stops): nothing more of the job may reach the server.</summary>
    public CancellationToken Token => _held.Token;

    /// <summary>Cancelled when a heartbeat's answer says the job was cancelled.</summary>
    public CancellationToken CancelRequested => _cancelRequested.Token;

    public bool IsLost => _held.IsCancellationRequested && !_stopping.IsCancellationRequested;

    /// <summary>A heartbeat was refused with 401: the runner must end, and not be restarted.</summary>
    public bool Revoked { get; private set; }

    /// <summary>One heartbeat; the lease then lasts a full duration from now.</summary>
    public async Task RenewAsync(CancellationToken ct)
    {
        var answer = await _api.HeartbeatAsync(_job, ct);
        Renewed(answer.LeaseDuration, answer.LeaseExpiresAt);
        if (answer.Cancel)
            await _cancelRequested.CancelAsync();
    }

    /// <summary>Heartbeats every interval until the lease is disposed or lost.</summary>
    public void StartHeartbeats() => _heartbeats ??= HeartbeatLoopAsync();

    /// <summary>
    /// Ends the heartbeats before the job is completed: a heartbeat that crosses the completion gets
    /// "stale lease" (the job has just ended) and would otherwise take the completion call down with it.
    /// </summary>
    public async Task StopHeartbeatsAsync()
    {
        await _heartbeatsEnd.CancelAsync();
        if (_heartbeats is not null)
            await _heartbeats;
    }

    /// <summary>
    /// Makes <paramref name="call"/> until it gets through, backing off with jitter between tries,
    /// each failure told to <paramref name="log"/>. False when the lease is lost first, or when the
    /// call has failed for a whole lease duration (a server that answers heartbeats but keeps
    /// failing this call will not be helped by more tries); the job is then left to the server's
    /// lease expiry. An answer that no retry changes (400, 404) is thrown.
    /// </summary>
    public async Task<bool> CallAsync(string what, Func<CancellationToken, Task> call, Action<string> log)
    {
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(_held.Token);
        giveUp.CancelAfter(_duration);
        for (var tries = 1; ; tries++)
        {
            try
            {
                await call(giveUp.Token);
                return true;
            }
            catch (LeaseLostException)
            {
                await _held.CancelAsync();
                return false;
            }
            catch (OperationCanceledException) when (giveUp.IsCancellationRequested && !_stopping.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e) when (!_stopping.IsCancellationRequested && IsTransient(e))
            {
                var delay = RetryDelay(tries);
                log($"{what} failed ({e.Message}); trying again in {delay.TotalSeconds:0.#} s");
                try
                {
                    await Task.Delay(delay, giveUp.Token);
                }
                catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
                {
                    return false;
                }
            }
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        var end = _heartbeatsEnd.Token;
        while (true)
        {
            try
            {
                await Task.Delay(_heartbeatInterval, end);
                await RenewAsync(end);
            }
            catch (OperationCanceledException) when (end.IsCancellationRequested)
            {
                return;
            }
            catch (LeaseLostException)
            {
                await _held.CancelAsync();
                return;
            }
            catch (RunnerRevokedException)
            {
                Revoked = true;
                await _held.CancelAsync();
                return;
            }
            catch (Exception) when (!end.IsCancellationRequested)
            {
                // A missed heartbeat (no answer, a 5xx, anything else) is not fatal: the lease lasts
                // several intervals, and is given up (Token) only when none has got through for all of it.
            }
        }
    }

    private void Renewed(TimeSpan duration, DateTimeOffset expiresAt)
    {
        // A server that does not say how long its leases last: its expiry time on this clock.
        _duration = duration > TimeSpan.Zero ? duration : expiresAt - DateTimeOffset.UtcNow;
        if (_duration < _heartbeatInterval)
            _duration = _heartbeatInterval;
        // The server set the expiry when it handled the renewal, before this answer arrived: a full
        // duration from now is past it for sure.
        _held.CancelAfter(_duration);
    }

    /// <summary>No answer (refused, reset, timed out), or one that may be different next time.</summary>
    private static bool IsTransient(Exception e) => e switch
    {
        HttpRequestException { StatusCode: null } => true,
        HttpRequestException { StatusCode: var status } => (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests,
        OperationCanceledException => true, // the HttpClient's own timeout
        _ => false,
    };

    /// <summary>Exponential, 0.5-1 s first, up to 15-30 s, jittered so that runners cut off together do not come back together.</summary>
    private static TimeSpan RetryDelay(int tries)
    {
        var ceiling = TimeSpan.FromTicks(Math.Min(FirstRetryDelay.Ticks << Math.Min(tries - 1, 10), LongestRetryDelay.Ticks));
        return ceiling * (0.5 + 0.5 * Random.Shared.NextDouble());
    }

    public async ValueTask DisposeAsync()
    {
        await _heartbeatsEnd.CancelAsync();
        if (_heartbeats is not null)
            await _heartbeats;
        _heartbeatsEnd.Dispose();
        _cancelRequested.Dispose();
        _held.Dispose();
    }
}
