using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace PerfCI.Server.Runners;

/// <summary>A job handed to a runner under a lease (of <see cref="LeaseDuration"/>, renewed by each heartbeat).</summary>
public sealed record ClaimedJob(
    long JobId, long RunId, int Attempt, Guid LeaseToken, DateTimeOffset LeaseExpiresAt, string Suite, string CommitSha, string CloneUrl, TimeSpan LeaseDuration);

/// <summary>
/// The claim: the oldest queued job whose required labels the runner has (and whose hardware class
/// it matches, when one is required), taken under FOR UPDATE SKIP LOCKED so that any number of
/// runners and server instances can claim at once and each job goes to exactly one of them.
/// </summary>
public sealed class JobClaims(NpgsqlDataSource dataSource, JobQueueSignal signal, IOptions<RunnersOptions> options, TimeProvider time)
{
    private const string ClaimSql = """
        WITH runner AS (
            SELECT id, labels, hardware_class FROM runners WHERE id = $1 AND state <> 'revoked'
        ), next AS (
            SELECT j.id FROM jobs j, runner r
            WHERE j.state = 'queued'
              AND j.required_labels <@ r.labels
              AND (j.required_hardware_class IS NULL OR j.required_hardware_class = r.hardware_class)
            ORDER BY j.queued_at, j.id
            FOR UPDATE OF j SKIP LOCKED
            LIMIT 1
        )
        UPDATE jobs SET state = 'running', runner_id = $1, lease_token = $2, lease_expires_at = now() + $3,
                        attempt = attempt + 1, started_at = now(), cancel_requested = false
        FROM next
        WHERE jobs.id = next.id
        RETURNING jobs.id, jobs.run_id, jobs.attempt, jobs.lease_token, jobs.lease_expires_at, jobs.suite_definition::text,
                  (SELECT c.sha FROM runs u JOIN commits c ON c.id = u.commit_id WHERE u.id = jobs.run_id),
                  (SELECT p.clone_url FROM runs u JOIN repositories p ON p.id = u.repository_id WHERE u.id = jobs.run_id)
        """;

    /// <summary>Claims a job, waiting up to <paramref name="wait"/> for one to be queued; null when none came.</summary>
    public async Task<ClaimedJob?> ClaimAsync(long runnerId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow() + wait;
        while (true)
        {
            // Take the signal before trying, so a job queued between the try and the wait is not missed.
            var woken = signal.NextAsync();
            if (await TryClaimAsync(runnerId, cancellationToken) is { } job)
                return job;
            var remaining = deadline - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
                return null;
            await Task.WhenAny(woken, Task.Delay(remaining, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    private async Task<ClaimedJob?> TryClaimAsync(long runnerId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter { Value = runnerId, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = Guid.NewGuid(), NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.LeaseDuration, NpgsqlDbType = NpgsqlDbType.Interval });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
            return null;
        return new ClaimedJob(
            reader.GetInt64(0), reader.GetInt64(1), reader.GetInt32(2), reader.GetGuid(3),
            reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5), reader.GetString(6), reader.GetString(7), options.Value.LeaseDuration);
    }
}
