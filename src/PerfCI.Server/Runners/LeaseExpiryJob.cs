using Hangfire;
using Npgsql;
using PerfCI.Data;

namespace PerfCI.Server.Runners;

/// <summary>
/// Jobs whose runner stopped heartbeating: queued again with the next attempt (the NOTIFY trigger
/// wakes the waiting runners), or failed for good after their last attempt, with the reason.
/// </summary>
public sealed class LeaseExpiryJob(NpgsqlDataSource dataSource, PerfCiDbContext db, IBackgroundJobClient jobs, TimeProvider time, ILogger<LeaseExpiryJob> logger)
{
    public const string RecurringId = "runners:lease-expiry";

    private const string Sql = """
        UPDATE jobs SET
            state = CASE WHEN attempt < max_attempts THEN 'queued'::job_state ELSE 'failed'::job_state END,
            error = CASE WHEN attempt < max_attempts THEN error
                         ELSE 'The lease expired on attempt ' || attempt || ' of ' || max_attempts || ': the runner stopped heartbeating (crashed, killed or cut off).' END,
            finished_at = CASE WHEN attempt < max_attempts THEN NULL ELSE now() END,
            queued_at = CASE WHEN attempt < max_attempts THEN now() ELSE queued_at END,
            runner_id = CASE WHEN attempt < max_attempts THEN NULL ELSE runner_id END,
            lease_token = NULL,
            lease_expires_at = NULL
        WHERE state = 'running' AND lease_expires_at < now()
        RETURNING id, state::text
        """;

    /// <summary>
    /// The recurring schedule for <paramref name="interval"/>: every minute, or a six-field
    /// (seconds) cron expression for shorter intervals, which Hangfire only honours when its
    /// scheduler polls at least that often (see <see cref="SchedulerPolling"/>).
    /// </summary>
    public static string Cron(TimeSpan interval) =>
        interval >= TimeSpan.FromMinutes(1) ? Hangfire.Cron.Minutely() : $"*/{(int)interval.TotalSeconds} * * * * *";

    /// <summary>Hangfire's scheduler polls every 15 s by default; a shorter check needs it to poll as often.</summary>
    public static TimeSpan SchedulerPolling(TimeSpan interval) => interval < TimeSpan.FromSeconds(15) ? interval : TimeSpan.FromSeconds(15);

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var failed = new List<long>();
        await using (var command = dataSource.CreateCommand(Sql))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                logger.LogWarning("Lease of job {JobId} expired: now {State}", reader.GetInt64(0), reader.GetString(1));
                if (reader.GetString(1) == "failed")
                    failed.Add(reader.GetInt64(0));
            }
        }
        // A job failed for good may have been its run's last one.
        foreach (var jobId in failed)
            await Runs.FinishIfDoneAsync(db, jobs, jobId, time.GetUtcNow(), cancellationToken);
    }
}
