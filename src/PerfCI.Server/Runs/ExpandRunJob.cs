using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Core.Suites;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Runs;

/// <summary>
/// Turns a pending run into one job per suite, read from perfci.yml at the run's commit (or the
/// repository's server-side suites). A bad file fails the run with file, line and field; nothing
/// crashes. Re-entrant: a run that is no longer pending is left alone.
/// </summary>
public sealed class ExpandRunJob(PerfCiDbContext db, RepositoryMirror mirror, IBackgroundJobClient jobs, TimeProvider time, ILogger<ExpandRunJob> logger)
{
    public const string FileName = "perfci.yml";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [AutomaticRetry(Attempts = 3)]
    public async Task RunAsync(long runId, CancellationToken cancellationToken)
    {
        var run = await db.Runs.Include(r => r.Repository).Include(r => r.Commit).SingleOrDefaultAsync(r => r.Id == runId, cancellationToken);
        if (run is null || run.State != RunState.Pending)
            return;
        var repository = run.Repository;
        var yaml = repository.Settings.SuitesYaml
            ?? await mirror.ReadFileAsync(repository.FullName, repository.CloneUrl, run.Commit.Sha, FileName, cancellationToken);
        var now = time.GetUtcNow();
        if (yaml is null)
        {
            await FailAsync(run, $"{FileName}: there is no {FileName} at {run.Commit.Sha[..Math.Min(12, run.Commit.Sha.Length)]} and the repository has no suites in its settings.", now, cancellationToken);
            return;
        }
        SuiteFile file;
        try
        {
            file = SuiteParser.Parse(yaml, FileName);
        }
        catch (SuiteDefinitionException e)
        {
            await FailAsync(run, e.Message, now, cancellationToken);
            return;
        }
        var suites = run.SuiteFilter is { Length: > 0 } filter ? file.Suites.Where(s => filter.Contains(s.Name)).ToList() : [.. file.Suites];
        if (suites.Count == 0)
        {
            await FailAsync(run, $"{FileName}: none of the suites asked for ({string.Join(", ", run.SuiteFilter ?? [])}) is defined.", now, cancellationToken);
            return;
        }
        var narrowed = new List<(SuiteDefinition Definition, int Jobs)>();
        foreach (var suite in suites)
        {
            var (definition, count, error) = SuiteNarrowing.Narrow(suite, run.ScenarioFilter, run.Trials);
            if (definition is null)
            {
                await FailAsync(run, $"{FileName}: {error}.", now, cancellationToken);
                return;
            }
            narrowed.Add((definition, count));
        }
        foreach (var (definition, count) in narrowed)
        {
            // Runs of several commits of one push expand at once: the suite row is inserted if absent,
            // so that two of them never race on it.
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO suites (repository_id, name, created_at) VALUES ({repository.Id}, {definition.Name}, {now.ToUniversalTime()})
                ON CONFLICT (repository_id, name) DO NOTHING
                """, cancellationToken);
            var suite = await db.Suites.SingleAsync(s => s.RepositoryId == repository.Id && s.Name == definition.Name, cancellationToken);
            for (var i = 0; i < count; i++)
            {
                db.Jobs.Add(new Job
                {
                    Run = run, Suite = suite, SuiteDefinition = JsonSerializer.Serialize(definition, Json), RequiredLabels = [.. definition.RunsOn],
                    RequiredHardwareClass = run.HardwareClass, State = JobState.Queued, QueuedAt = now,
                });
            }
        }
        run.State = RunState.Queued;
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Run {RunId} expanded into {Count} jobs", run.Id, narrowed.Sum(n => n.Jobs));
    }

    private async Task FailAsync(Run run, string error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        run.State = RunState.Failed;
        run.Error = error;
        run.FinishedAt = now;
        await db.SaveChangesAsync(cancellationToken);
        logger.LogWarning("Run {RunId} failed before any job: {Error}", run.Id, error);
        // A pull request's check says why (a perfci.yml error, with its file and line).
        if (run.PullRequestId is { } pullRequestId)
            jobs.Enqueue<PerfCI.Server.GitHub.PullRequestReportJob>(job => job.RunAsync(pullRequestId, CancellationToken.None));
        // A bisect skips a commit whose run cannot even start, and moves on.
        if (run.BisectId is { } bisectId)
            jobs.Enqueue<PerfCI.Server.Bisect.BisectJob>(job => job.RunAsync(bisectId, CancellationToken.None));
    }
}
