using Hangfire;
using Npgsql;
using PerfCI.Data;

namespace PerfCI.Server.Runners;

/// <summary>
/// Jobs whose runner stopped heartbeating: queued again with the next attempt (the NOTIFY trigger
/// wakes the waiting runners), or failed for good after their last attempt, with the reason. A job
/// whose runner uploaded its results and died before completing it is done: the results are its
/// one set (a later attempt's upload would be refused), so running the benchmark again would only
/// hold a GPU for nothing; it ends as succeeded.
/// </summary>
public sealed class LeaseExpiryJob(NpgsqlDataSource dataSource, PerfCiDbContext db, IBackgroundJobClient jobs, TimeProvider time, ILogger<LeaseExpiryJob> logger)
{
    public const string RecurringId = "runners:lease-expiry";

    // The rows are locked before the results are looked at: a heartbeat that renewed the lease
    // meanwhile takes the job out of the set (PostgreSQL re-checks the WHERE of a locked row).
    private const string Sql = """
        WITH expired AS (
            SELECT j.id,
                   CASE WHEN EXISTS (SELECT 1 FROM job_results r WHERE r.job_id = j.id) THEN 'succeeded'
                        WHEN j.attempt < j.max_attempts THEN 'queued'
                        ELSE 'failed' END::job_state AS next
            FROM jobs j
            WHERE j.state = 'running' AND j.lease_expires_at < now()
            FOR UPDATE OF j
        )
        UPDATE jobs SET
            state = e.next,
            error = CASE WHEN e.next = 'failed'
                         THEN 'The lease expired on attempt ' || attempt || ' of ' || max_attempts || ': the runner stopped heartbeating (crashed, killed or cut off).'
                         ELSE error END,
            finished_at = CASE WHEN e.next = 'queued' THEN NULL ELSE now() END,
            queued_at = CASE WHEN e.next = 'queued' THEN now() ELSE queued_at END,
            runner_id = CASE WHEN e.next = 'queued' THEN NULL ELSE runner_id END,
            lease_token = NULL,
            lease_expires_at = NULL
        FROM expired e
        WHERE jobs.id = e.id
        RETURNING jobs.id, jobs.state::text
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
        var ended = new List<long>();
        await using (var command = dataSource.CreateCommand(Sql))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var (jobId, state) = (reader.GetInt64(0), reader.GetString(1));
                if (state == "succeeded")
                    logger.LogWarning("Lease of job {JobId} expired after its results were uploaded: it ends as {State}", jobId, state);
                else
                    logger.LogWarning("Lease of job {JobId} expired: now {State}", jobId, state);
                if (state != "queued")
                    ended.Add(jobId);
            }
        }
        // A job that ended here may have been its run's last one.
        foreach (var jobId in ended)
            await Runs.FinishIfDoneAsync(db, jobs, jobId, time.GetUtcNow(), cancellationToken);
    }
}
