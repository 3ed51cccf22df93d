using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using PerfCI.Data;
using PerfCI.Server.Runs;

namespace PerfCI.Server.Analysis;

/// <summary>
/// Keeps the commits table in step with the default branch's first-parent history: every commit of it
/// is stored with its position, which is the order of a series' points (never the time a run happened).
/// </summary>
public sealed class CommitHistory(PerfCiDbContext db, RepositoryMirror mirror, ILogger<CommitHistory> logger)
{
    /// <summary>Reads the branch from git and stores its positions; false when git could not give it.</summary>
    public async Task<bool> RefreshAsync(long repositoryId, CancellationToken cancellationToken)
    {
        var repository = await db.Repositories.AsNoTracking().SingleAsync(r => r.Id == repositoryId, cancellationToken);
        IReadOnlyList<HistoryCommit>? history;
        try
        {
            history = await mirror.FirstParentHistoryAsync(repository.FullName, repository.CloneUrl, repository.DefaultBranch, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            logger.LogWarning("No history for {Repository}: {Reason}", repository.FullName, e.Message);
            return false;
        }
        if (history is null)
        {
            logger.LogWarning("{Repository} has no branch {Branch}", repository.FullName, repository.DefaultBranch);
            return false;
        }
        await StoreAsync(repositoryId, history, cancellationToken);
        return true;
    }

    private async Task StoreAsync(long repositoryId, IReadOnlyList<HistoryCommit> history, CancellationToken cancellationToken)
    {
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(async ct =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            // Two runs ending together both refresh: one after the other, never interleaved.
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(7032, {(int)repositoryId})", ct);
            var connection = (NpgsqlConnection)db.Database.GetDbConnection();
            await using (var create = new NpgsqlCommand("CREATE TEMP TABLE history (sha text, parents text[], author_name text, author_email text, committed_at timestamptz, message text, position int) ON COMMIT DROP", connection))
                await create.ExecuteNonQueryAsync(ct);
            await using (var copy = await connection.BeginBinaryImportAsync("COPY history FROM STDIN (FORMAT BINARY)", ct))
            {
                for (var position = 0; position < history.Count; position++)
                {
                    var commit = history[position];
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(commit.Sha, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(commit.Parents, NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(commit.AuthorName, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(commit.AuthorEmail, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(commit.CommittedAt, NpgsqlDbType.TimestampTz, ct);
                    await copy.WriteAsync(commit.Subject, NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(position, NpgsqlDbType.Integer, ct);
                }
                await copy.CompleteAsync(ct);
            }
            // Positions are cleared first: after a force-push the unique (repository, position) index
            // would otherwise see two commits at one position mid-statement. A commit stored under an
            // abbreviated sha (a person's upload) takes its full sha when exactly one commit matches.
            await using var update = new NpgsqlCommand("""
                UPDATE commits SET first_parent_position = NULL
                 WHERE repository_id = @repository AND first_parent_position IS NOT NULL;
                UPDATE commits c SET sha = h.sha
                  FROM history h
                 WHERE c.repository_id = @repository AND length(c.sha) < 40 AND h.sha LIKE c.sha || '%'
                   AND NOT EXISTS (SELECT 1 FROM commits full_sha WHERE full_sha.repository_id = @repository AND full_sha.sha = h.sha)
                   AND (SELECT count(*) FROM history other WHERE other.sha LIKE c.sha || '%') = 1;
                INSERT INTO commits (repository_id, sha, parent_shas, author_name, author_email, message, committed_at, first_parent_position)
                SELECT @repository, sha, parents, author_name, author_email, message, committed_at, position FROM history
                ON CONFLICT (repository_id, sha) DO UPDATE SET
                    parent_shas = excluded.parent_shas, author_name = excluded.author_name, author_email = excluded.author_email,
                    message = excluded.message, committed_at = excluded.committed_at, first_parent_position = excluded.first_parent_position;
                """, connection);
            update.Parameters.AddWithValue("repository", repositoryId);
            await update.ExecuteNonQueryAsync(ct);
            await transaction.CommitAsync(ct);
        }, cancellationToken);
    }
}
