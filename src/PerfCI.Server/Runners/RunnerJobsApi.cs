using System.Security.Claims;
using Hangfire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Analysis;
using PerfCI.Server.GitHub;
using PerfCI.Server.Results;

namespace PerfCI.Server.Runners;

public sealed record LeaseRequest(Guid LeaseToken);

/// <summary>
/// The renewed lease. Its duration rides along so that the runner can tell, on its own clock, when
/// a lease that it could not renew is surely gone (server and runner clocks need not agree).
/// </summary>
public sealed record HeartbeatResponse(DateTimeOffset LeaseExpiresAt, bool Cancel, TimeSpan LeaseDuration);

public sealed record CompleteJobRequest(Guid LeaseToken, bool Succeeded, string? Error, string? EngineLogTail);

/// <summary>
/// What a runner does with a job it holds. Every call is fenced by the lease token: a runner whose
/// lease expired (and whose job may now run elsewhere) gets 409 and changes nothing.
/// </summary>
public static class RunnerJobsApi
{
    public static IEndpointRouteBuilder MapRunnerJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runners/jobs/{jobId:long}").WithTags("Runners").RequireAuthorization(RunnersApi.RunnerPolicy);
        api.MapPost("/heartbeat", HeartbeatAsync).WithName("Heartbeat");
        api.MapPost("/results", UploadResultsAsync).WithName("UploadResults");
        api.MapPost("/complete", CompleteAsync).WithName("CompleteJob");
        return app;
    }

    /// <summary>Extends the lease; the answer says whether the job was cancelled.</summary>
    public static async Task<Results<Ok<HeartbeatResponse>, ProblemHttpResult>> HeartbeatAsync(
        long jobId, LeaseRequest request, ClaimsPrincipal user, PerfCiDbContext db, IOptions<RunnersOptions> options, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var runnerId = user.RunnerId();
        var now = time.GetUtcNow();
        var expires = now + options.Value.LeaseDuration;
        var renewed = await Held(db, jobId, runnerId, request.LeaseToken)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.LeaseExpiresAt, expires), cancellationToken);
        if (renewed == 0)
            return StaleLease(jobId);
        await db.Runners.Where(r => r.Id == runnerId).ExecuteUpdateAsync(set => set.SetProperty(r => r.LastSeenAt, now).SetProperty(r => r.State, RunnerState.Busy), cancellationToken);
        var cancel = await db.Jobs.Where(j => j.Id == jobId).Select(j => j.CancelRequested).SingleAsync(cancellationToken);
        return TypedResults.Ok(new HeartbeatResponse(expires, cancel, options.Value.LeaseDuration));
    }

    /// <summary>
    /// The job's result document, once per job; the body is validated field by field. A runner that
    /// uploaded and died before completing leaves results behind: the job's next attempt runs again
    /// but keeps those, so that a commit never has two sets of measurements from one job.
    /// </summary>
    public static async Task<Results<Ok<IngestResult>, ValidationProblem, ProblemHttpResult>> UploadResultsAsync(
        long jobId, Guid lease, HttpRequest http, ClaimsPrincipal user, PerfCiDbContext db, ResultIngestor ingestor, CancellationToken cancellationToken)
    {
        var runnerId = user.RunnerId();
        var job = await Held(db, jobId, runnerId, lease).AsNoTracking()
            .Select(j => new { j.Attempt, Suite = j.Suite.Name, Repository = j.Run.Repository.Owner + "/" + j.Run.Repository.Name, j.Run.Commit.Sha })
            .SingleOrDefaultAsync(cancellationToken);
        if (job is null)
            return StaleLease(jobId);
        if (await db.JobResults.Where(r => r.JobId == jobId).Select(r => r.Attempt).FirstOrDefaultAsync(cancellationToken) is { } uploaded)
        {
            var why = uploaded == job.Attempt
                ? $"Job {jobId} already has results for attempt {job.Attempt}; a replayed upload changes nothing."
                : $"Job {jobId} already has results, uploaded by attempt {uploaded} before its runner stopped heartbeating; they stand.";
            return TypedResults.Problem(why, statusCode: StatusCodes.Status409Conflict, title: "Already uploaded");
        }

        using var reader = new StreamReader(http.Body);
        ResultDocument document;
        try
        {
            document = ResultDocumentJson.Parse(await reader.ReadToEndAsync(cancellationToken), "results");
        }
        catch (ResultDocumentException e)
        {
            return TypedResults.ValidationProblem(e.Fields.Distinct().ToDictionary(f => f, _ => new[] { e.Message }));
        }
        var hardwareClass = await db.Runners.Where(r => r.Id == runnerId).Select(r => r.HardwareClass).SingleAsync(cancellationToken);
        try
        {
            var result = await ingestor.IngestAsync(document, new IngestTarget(job.Repository, job.Sha, RunTrigger.Manual)
            {
                Suite = job.Suite, HardwareClass = hardwareClass, JobId = jobId, Attempt = job.Attempt,
            }, cancellationToken);
            return TypedResults.Ok(result);
        }
        catch (IngestException e)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["results"] = [e.Message] });
        }
    }

    /// <summary>Ends the job (the runner stops heartbeating after this); the run ends with its last job.</summary>
    public static async Task<Results<Ok, ProblemHttpResult>> CompleteAsync(
        long jobId, CompleteJobRequest request, ClaimsPrincipal user, PerfCiDbContext db, IBackgroundJobClient jobs, TimeProvider time)
    {
        var runnerId = user.RunnerId();
        var now = time.GetUtcNow();
        // Once the job has ended, the run must end with it even if the runner hangs up mid-request:
        // no request-aborted token here, so nothing below is cancelled by the client.
        var cancellationToken = CancellationToken.None;
        // A job that was asked to stop and did not succeed was cancelled, not failed.
        var ended = await Held(db, jobId, runnerId, request.LeaseToken).ExecuteUpdateAsync(set => set
            .SetProperty(j => j.State, j => request.Succeeded ? JobState.Succeeded : j.CancelRequested ? JobState.Cancelled : JobState.Failed)
            .SetProperty(j => j.FinishedAt, now)
            .SetProperty(j => j.Error, request.Error)
            .SetProperty(j => j.EngineLogTail, request.EngineLogTail)
            .SetProperty(j => j.LeaseExpiresAt, (DateTimeOffset?)null), cancellationToken);
        if (ended == 0)
            return StaleLease(jobId);
        await db.Runners.Where(r => r.Id == runnerId).ExecuteUpdateAsync(set => set.SetProperty(r => r.State, RunnerState.Idle).SetProperty(r => r.LastSeenAt, now), cancellationToken);
        await Runs.FinishIfDoneAsync(db, jobs, jobId, now, cancellationToken);
        return TypedResults.Ok();
    }

    internal static IQueryable<Job> Held(PerfCiDbContext db, long jobId, long runnerId, Guid lease) =>
        db.Jobs.Where(j => j.Id == jobId && j.RunnerId == runnerId && j.LeaseToken == lease && j.State == JobState.Running);

    internal static ProblemHttpResult StaleLease(long jobId) => TypedResults.Problem(
        $"This runner does not hold job {jobId} under that lease (it expired, the job moved on, or the token is wrong). Drop the job.",
        statusCode: StatusCodes.Status409Conflict, title: "Stale lease");
}

public static class Runs
{
    /// <summary>
    /// The first job of a run handed to a runner starts the run; a pull request's check then says its
    /// benchmarks are in progress.
    /// </summary>
    public static async Task StartAsync(PerfCiDbContext db, IBackgroundJobClient jobs, long runId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var started = await db.Runs.Where(r => r.Id == runId && r.State == RunState.Queued)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.State, RunState.Running).SetProperty(r => r.StartedAt, now), cancellationToken);
        if (started == 1 && await db.Runs.Where(r => r.Id == runId).Select(r => r.PullRequestId).SingleAsync(cancellationToken) is { } pullRequestId)
            jobs.Enqueue<PullRequestReportJob>(job => job.RunAsync(pullRequestId, CancellationToken.None));
    }

    /// <summary>
    /// When the last job of a run has ended, the run ends: failed if any job failed, cancelled if any
    /// was. The run that ends here (once) is then analysed, and reported on its pull request.
    /// </summary>
    public static async Task FinishIfDoneAsync(PerfCiDbContext db, IBackgroundJobClient jobs, long jobId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var runId = await db.Jobs.Where(j => j.Id == jobId).Select(j => j.RunId).SingleAsync(cancellationToken);
        var states = await db.Jobs.Where(j => j.RunId == runId).Select(j => j.State).ToListAsync(cancellationToken);
        if (states.Any(s => s is JobState.Queued or JobState.Running))
            return;
        var state = states.Contains(JobState.Failed) ? RunState.Failed
            : states.Contains(JobState.Cancelled) ? RunState.Cancelled
            : RunState.Succeeded;
        var ended = await db.Runs.Where(r => r.Id == runId && r.FinishedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.State, state).SetProperty(r => r.FinishedAt, now), cancellationToken);
        if (ended != 1)
            return;
        jobs.Enqueue<AnalyzeRunJob>(job => job.RunAsync(runId, CancellationToken.None));
        var owner = await db.Runs.Where(r => r.Id == runId).Select(r => new { r.PullRequestId, r.BisectId }).SingleAsync(cancellationToken);
        if (owner.PullRequestId is { } pullRequestId)
            jobs.Enqueue<PullRequestReportJob>(job => job.RunAsync(pullRequestId, CancellationToken.None));
        // A bisect step's result is in: the bisect decides what to measure next.
        if (owner.BisectId is { } bisectId)
            jobs.Enqueue<PerfCI.Server.Bisect.BisectJob>(job => job.RunAsync(bisectId, CancellationToken.None));
    }
}
