using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;
using PerfCI.Core.Results;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Results;

/// <summary>Where an uploaded result document belongs.</summary>
public sealed record IngestTarget(string Repository, string CommitSha, RunTrigger Trigger = RunTrigger.Manual)
{
    public string? Suite { get; init; }
    public string? HardwareClass { get; init; }
    public long? JobId { get; init; }
    public int? Attempt { get; init; }
    public string? RequestedBy { get; init; }
}

public sealed record IngestResult(long RunId, bool AlreadyIngested, int Series, int Measurements, string HardwareClass);

public static class ResultIngestExtensions
{
    /// <summary>
    /// What storing result documents needs, for every host that does it (the server and
    /// <c>perfci upload</c>): the ingestor and the series-key cache it drops when it creates a series.
    /// </summary>
    public static IServiceCollection AddPerfCiResultIngest(this IServiceCollection services)
    {
        services.AddScoped<ResultIngestor>();
        services.AddSingleton<PerfCI.Server.Dashboard.SeriesKeyCache>();
        return services;
    }
}

/// <summary>The upload cannot be stored; the message names the field. Nothing was written.</summary>
public sealed class IngestException(string message) : Exception(message);

/// <summary>
/// Stores a result document: the run, one measurement per (scenario, metric) with every trial's
/// sample (binary COPY), the series they extend, and the document itself. Idempotent: the same
/// document for the same target is stored once. All or nothing, in one transaction.
/// </summary>
public sealed class ResultIngestor(PerfCiDbContext db, TimeProvider time, PerfCI.Server.Dashboard.SeriesKeyCache seriesKeys)
{
    public async Task<IngestResult> IngestAsync(ResultDocument document, IngestTarget target, CancellationToken cancellationToken)
    {
        var errors = ResultDocumentJson.Validate(document);
        if (errors.Count > 0)
            throw new IngestException(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")));
        var (owner, name) = ParseRepository(target.Repository);
        if (!IsSha(target.CommitSha))
            throw new IngestException($"commit: expected a git sha (7 to 64 hex digits), was '{target.CommitSha}'");
        var hardwareClass = target.HardwareClass ?? document.HardwareClass
            ?? (document.Hardware is { } hardware ? HardwareClass.Derive(hardware) : "unknown");
        var suiteName = target.Suite ?? document.Suite ?? "default";
        var json = ResultDocumentJson.Serialize(document);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{target.Repository}\n{target.CommitSha}\n{suiteName}\n{hardwareClass}\n{target.JobId}\n{json}"));

        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async ct =>
        {
            db.ChangeTracker.Clear();
            var existing = await db.JobResults.AsNoTracking().FirstOrDefaultAsync(r => r.ContentSha256 == hash, ct);
            if (existing is not null)
                return new IngestResult(existing.RunId, true, 0, 0, hardwareClass);

            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var now = time.GetUtcNow();
            var repository = await db.Repositories.FirstOrDefaultAsync(r => r.Owner == owner && r.Name == name, ct);
            if (repository is null)
            {
                repository = new Repository { Owner = owner, Name = name, CloneUrl = $"https://github.com/{owner}/{name}.git", CreatedAt = now };
                db.Repositories.Add(repository);
                await db.SaveChangesAsync(ct);
            }
            // Commits and suites may be created at the same moment by another upload or by the history
            // refresh: insert-if-absent, then read, so that a race is not an error.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO commits (repository_id, sha, parent_shas, author_name, author_email, message, committed_at)
                VALUES ({repository.Id}, {target.CommitSha}, {Array.Empty<string>()}, '', '', '', {(document.StartedAt ?? now).ToUniversalTime()})
                ON CONFLICT (repository_id, sha) DO NOTHING
                """, ct);
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO suites (repository_id, name, created_at) VALUES ({repository.Id}, {suiteName}, {now})
                ON CONFLICT (repository_id, name) DO NOTHING
                """, ct);
            var commit = await db.Commits.SingleAsync(c => c.RepositoryId == repository.Id && c.Sha == target.CommitSha, ct);
            var suite = await db.Suites.SingleAsync(s => s.RepositoryId == repository.Id && s.Name == suiteName, ct);

            var run = await RunForAsync(target, repository.Id, commit.Id, hardwareClass, now, ct);
            var (series, created) = await SeriesForAsync(document, repository.Id, suite.Id, hardwareClass, now, ct);
            var measurements = await CopyMeasurementsAsync(document, series, run.Id, target.JobId, commit.Id, now, ct);
            db.JobResults.Add(new JobResult
            {
                JobId = target.JobId, Attempt = target.Attempt, RunId = run.Id, ContentSha256 = hash, Document = json, ReceivedAt = now,
            });
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            // The trends pickers offer a new series at once.
            if (created)
                seriesKeys.Invalidate();
            return new IngestResult(run.Id, false, series.Count, measurements, hardwareClass);
        }, cancellationToken);
    }

    private async Task<Run> RunForAsync(IngestTarget target, long repositoryId, long commitId, string hardwareClass, DateTimeOffset now, CancellationToken ct)
    {
        if (target.JobId is { } jobId)
        {
            var job = await db.Jobs.Include(j => j.Run).FirstOrDefaultAsync(j => j.Id == jobId, ct)
                ?? throw new IngestException($"job: no job {jobId}");
            return job.Run;
        }
        var run = new Run
        {
            RepositoryId = repositoryId, CommitId = commitId, Trigger = target.Trigger, State = RunState.Succeeded,
            HardwareClass = hardwareClass, RequestedBy = target.RequestedBy, CreatedAt = now, StartedAt = now, FinishedAt = now,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync(ct);
        return run;
    }

    /// <summary>
    /// The series every metric extends, created where new (then <c>Created</c>); a unit or direction
    /// that changed is refused.
    /// </summary>
    private async Task<(Dictionary<(string Scenario, string Metric), Series> Series, bool Created)> SeriesForAsync(
        ResultDocument document, long repositoryId, long suiteId, string hardwareClass, DateTimeOffset now, CancellationToken ct)
    {
        var known = await db.Series
            .Where(s => s.RepositoryId == repositoryId && s.SuiteId == suiteId && s.HardwareClass == hardwareClass)
            .ToDictionaryAsync(s => (s.Scenario, s.Metric), ct);
        var result = new Dictionary<(string, string), Series>();
        var created = false;
        foreach (var (scenario, s) in document.Scenarios.Select((scenario, s) => (scenario, s)))
        {
            foreach (var (metric, m) in scenario.Metrics.Select((metric, m) => (metric, m)))
            {
                var key = (scenario.Key, metric.Name);
                if (known.TryGetValue(key, out var series))
                {
                    if (series.Unit != metric.Unit || series.Direction != metric.Direction)
                    {
                        throw new IngestException(
                            $"scenarios[{s}].metrics[{m}]: series '{scenario.Key}/{metric.Name}' is in {series.Unit} ({series.Direction}); this upload says {metric.Unit} ({metric.Direction})");
                    }
                }
                else
                {
                    series = new Series
                    {
                        RepositoryId = repositoryId, SuiteId = suiteId, Scenario = scenario.Key, Metric = metric.Name,
                        HardwareClass = hardwareClass, Unit = metric.Unit, Direction = metric.Direction, CreatedAt = now,
                    };
                    db.Series.Add(series);
                    known[key] = series;
                    created = true;
                }
                result[key] = series;
            }
        }
        await db.SaveChangesAsync(ct);
        return (result, created);
    }

    private async Task<int> CopyMeasurementsAsync(
        ResultDocument document, Dictionary<(string Scenario, string Metric), Series> series, long runId, long? jobId, long commitId,
        DateTimeOffset now, CancellationToken ct)
    {
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var rows = 0;
        await using (var copy = await connection.BeginBinaryImportAsync(
            "COPY measurements (series_id, run_id, job_id, commit_id, samples, mean, median, std_dev, min, max, created_at) FROM STDIN (FORMAT BINARY)", ct))
        {
            foreach (var scenario in document.Scenarios)
            {
                foreach (var metric in scenario.Metrics)
                {
                    var samples = metric.Samples.ToArray();
                    var summary = SampleSummary.Of(samples);
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(series[(scenario.Key, metric.Name)].Id, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(runId, NpgsqlDbType.Bigint, ct);
                    if (jobId is { } job)
                        await copy.WriteAsync(job, NpgsqlDbType.Bigint, ct);
                    else
                        await copy.WriteNullAsync(ct);
                    await copy.WriteAsync(commitId, NpgsqlDbType.Bigint, ct);
                    await copy.WriteAsync(samples, NpgsqlDbType.Array | NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(summary.Mean, NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(summary.Median, NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(summary.StdDev, NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(summary.Min, NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(summary.Max, NpgsqlDbType.Double, ct);
                    await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
                    rows++;
                }
            }
            await copy.CompleteAsync(ct);
        }
        return rows;
    }

    private static (string Owner, string Name) ParseRepository(string fullName)
    {
        var parts = fullName.Split('/');
        return parts is [{ Length: > 0 } owner, { Length: > 0 } name] && parts.All(p => p.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            ? (owner, name)
            : throw new IngestException($"repository: expected owner/name, was '{fullName}'");
    }

    private static bool IsSha(string sha) => sha.Length is >= 7 and <= 64 && sha.All(char.IsAsciiHexDigit);
}
