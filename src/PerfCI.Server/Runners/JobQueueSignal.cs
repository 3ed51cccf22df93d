using Npgsql;

namespace PerfCI.Server.Runners;

/// <summary>
/// One LISTEN connection per server instance: a database trigger NOTIFYs <see cref="Channel"/>
/// whenever a job becomes queued, and every claim waiting on this instance wakes up at once.
/// Polling stays as the fallback (a claim also retries when its wait ends).
/// </summary>
public sealed class JobQueueSignal(NpgsqlDataSource dataSource, ILogger<JobQueueSignal> logger) : BackgroundService
{
    public const string Channel = "perfci_jobs";
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next notification (or when the listener reconnects, to be safe).</summary>
    public Task NextAsync() => Volatile.Read(ref _next).Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => Signal();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                Signal(); // anything queued while we were not listening
                while (!stoppingToken.IsCancellationRequested)
                    await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException e)
            {
                logger.LogWarning(e, "Job queue listener lost its connection; retrying in 2 s");
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    private void Signal() => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
