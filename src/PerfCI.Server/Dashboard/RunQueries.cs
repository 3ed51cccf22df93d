using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Data;
using PerfCI.Ui.Runs;

namespace PerfCI.Server.Dashboard;

/// <summary>The runs pages' reads: no tracking, a fresh context per call.</summary>
public sealed class RunQueries(IDbContextFactory<PerfCiDbContext> contexts, ILogger<RunQueries> logger) : IRunQueries
{
    public async Task<IReadOnlyList<string>> RepositoriesAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Repositories.AsNoTracking().OrderBy(r => r.Owner).ThenBy(r => r.Name).Select(r => r.Owner + "/" + r.Name).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RunListItem>> ListAsync(RunFilter filter, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Runs.AsNoTracking();
        if (filter.Repository?.Split('/') is [var owner, var name])
            query = query.Where(r => r.Repository.Owner == owner && r.Repository.Name == name);
        if (filter.State is { } state)
            query = query.Where(r => r.State == state);
        return await query.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(Math.Clamp(filter.Take, 1, 1000))
            .Select(r => new RunListItem(
                r.Id, r.Repository.Owner + "/" + r.Repository.Name, r.Commit.Sha, r.Commit.Message, r.Trigger, r.State,
                r.PullRequest == null ? null : r.PullRequest.Number, r.Jobs.Count, r.CreatedAt, r.FinishedAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<RunDetail?> GetAsync(long id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Where(r => r.Id == id)
            .Select(r => new
            {
                r.Id, Repository = r.Repository.Owner + "/" + r.Repository.Name, r.Commit.Sha, r.Commit.Message, r.Commit.AuthorName, r.Commit.CommittedAt,
                r.Trigger, r.State, r.Error, r.RequestedBy, PullRequest = r.PullRequest == null ? (int?)null : r.PullRequest.Number, r.HardwareClass,
                r.CreatedAt, r.StartedAt, r.FinishedAt,
            })
            .SingleOrDefaultAsync(cancellationToken);
        if (run is null)
            return null;
        var jobs = await db.Jobs.AsNoTracking().Where(j => j.RunId == id).OrderBy(j => j.Id)
            .Select(j => new
            {
                j.Id, Suite = j.Suite.Name, j.State, j.Attempt, j.MaxAttempts, Runner = j.Runner == null ? null : j.Runner.Name,
                HardwareClass = j.Runner == null ? null : j.Runner.HardwareClass, Hardware = j.Runner == null ? null : j.Runner.Hardware,
                j.StartedAt, j.FinishedAt, j.Error, j.EngineLogTail,
            })
            .ToListAsync(cancellationToken);
        var metrics = await db.Measurements.AsNoTracking().Where(m => m.RunId == id)
            .OrderBy(m => m.Series.Suite.Name).ThenBy(m => m.Series.Scenario).ThenBy(m => m.Series.Metric)
            .Select(m => new MetricRow(m.Series.Suite.Name, m.Series.Scenario, m.Series.Metric, m.Series.Unit, m.Series.Direction, m.Series.HardwareClass, m.Median, m.Samples))
            .ToListAsync(cancellationToken);
        var documents = await db.JobResults.AsNoTracking().Where(r => r.RunId == id).OrderBy(r => r.Id).Select(r => r.Document).ToListAsync(cancellationToken);
        return new RunDetail(
            run.Id, run.Repository, run.Sha, run.Message, run.AuthorName, run.CommittedAt == default ? null : run.CommittedAt, run.Trigger, run.State,
            run.Error, run.RequestedBy, run.PullRequest, run.HardwareClass, run.CreatedAt, run.StartedAt, run.FinishedAt,
            [.. jobs.Select(j => new JobDetail(j.Id, j.Suite, j.State, j.Attempt, j.MaxAttempts, j.Runner, j.HardwareClass, j.Hardware is null ? null : Describe(j.Hardware),
                j.StartedAt, j.FinishedAt, j.Error, j.EngineLogTail))],
            metrics, [.. documents.SelectMany(Telemetry)]);
    }

    public async Task<JobLogView> LogAsync(long jobId, int afterSequence, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.Jobs.AsNoTracking().Where(j => j.Id == jobId).Select(j => new { j.Attempt, j.State }).SingleOrDefaultAsync(cancellationToken);
        if (job is null)
            return new JobLogView(jobId, 0, JobState.Cancelled, []);
        var chunks = await db.JobLogChunks.AsNoTracking()
            .Where(c => c.JobId == jobId && c.Attempt == job.Attempt && c.Sequence > afterSequence)
            .OrderBy(c => c.Sequence)
            .Select(c => new JobLogLine(c.Sequence, c.Text))
            .ToListAsync(cancellationToken);
        return new JobLogView(jobId, job.Attempt, job.State, chunks);
    }

    private ResultDocument? Read(string document)
    {
        try
        {
            return ResultDocumentJson.Parse(document);
        }
        catch (ResultDocumentException e)
        {
            logger.LogWarning(e, "A stored result document could not be read for its GPU telemetry");
            return null;
        }
    }

    public static string Describe(Core.Hardware.HardwareFingerprint hardware)
    {
        var gpus = hardware.Gpus.Count == 0 ? "no GPU"
            : string.Join(", ", hardware.Gpus.GroupBy(g => g.Model).Select(g => $"{g.Count()} x {g.Key} ({g.First().MemoryMiB / 1024.0:0} GiB)"));
        var driver = hardware.Gpus.Count > 0 && hardware.Gpus[0] is { DriverVersion: { } d } gpu ? $", driver {d}" + (gpu.CudaVersion is { } c ? $", CUDA {c}" : "") : "";
        return $"{gpus}{driver}; {hardware.CpuModel} ({hardware.CpuCores} cores), {hardware.MemoryMiB / 1024.0:0} GiB RAM";
    }

    /// <summary>GPU readings per scenario, trial and GPU from a stored result document; a document that cannot be read shows none.</summary>
    private IEnumerable<GpuTraceView> Telemetry(string document)
    {
        if (Read(document) is not { } parsed)
            yield break;
        foreach (var scenario in parsed.Scenarios)
        {
            foreach (var trial in scenario.Trials)
            {
                foreach (var gpu in trial.GpuTrace.GroupBy(p => p.Gpu).OrderBy(g => g.Key))
                {
                    yield return new GpuTraceView(scenario.Key, trial.Index, gpu.Key,
                        [.. gpu.Select(p => new GpuTraceReading(p.ElapsedMs / 1000, p.MemoryUsedMiB, p.UtilizationPercent, p.PowerW, p.SmClockMHz))]);
                }
            }
        }
    }
}
