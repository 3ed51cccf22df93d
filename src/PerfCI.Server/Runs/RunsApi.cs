using System.Security.Claims;
using Hangfire;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Access;
using PerfCI.Ui.Actions;

namespace PerfCI.Server.Runs;

public sealed record CreateRunRequest(string? Repository, string? Commit, string[]? Suites, string? HardwareClass)
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (Repository?.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
            errors["repository"] = ["Required: owner/name of a registered repository."];
        if (Commit is not { Length: >= 7 and <= 64 } || !Commit.All(char.IsAsciiHexDigit))
            errors["commit"] = ["Required: a commit sha (7 to 64 hex digits)."];
        return errors;
    }
}

public sealed record JobView(long Id, string Suite, JobState State, int Attempt, string[] RequiredLabels, string? RunnerName, string? Waiting, string? Error, string? EngineLogTail);

public sealed record RunView(long Id, string Repository, string Commit, RunTrigger Trigger, RunState State, string? Error, DateTimeOffset CreatedAt, IReadOnlyList<JobView> Jobs);

public static class RunsApi
{
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runs").WithTags("Runs");
        api.MapPost("/", CreateAsync).WithName("CreateRun").RequireAuthorization(PerfCiPolicies.Maintain);
        api.MapGet("/{id:long}", GetAsync).WithName("GetRun").RequireAuthorization(PerfCiPolicies.Read);
        api.MapPost("/{id:long}/cancel", CancelAsync).WithName("CancelRun").RequireAuthorization(PerfCiPolicies.Maintain);
        api.MapPost("/{id:long}/rerun", RerunAsync).WithName("RerunRun").RequireAuthorization(PerfCiPolicies.Maintain);
        return app;
    }

    /// <summary>
    /// Queued jobs are cancelled at once; running ones are told at their runner's next heartbeat
    /// (the runner stops the engine and ends the job as cancelled).
    /// </summary>
    public static async Task<Results<Ok<RunView>, NotFound>> CancelAsync(long id, RunActions actions, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        if (!await actions.CancelUncheckedAsync(id, cancellationToken))
            return TypedResults.NotFound();
        return TypedResults.Ok((await ViewAsync(db, id, cancellationToken))!);
    }

    /// <summary>A new run of the run's commit, suites and hardware class (maintainer); 202 with the new run.</summary>
    public static async Task<Results<Accepted<RunView>, ProblemHttpResult, ValidationProblem>> RerunAsync(
        long id, ClaimsPrincipal user, RunActions actions, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var outcome = await actions.RerunAsync(user, id, cancellationToken);
        return outcome.Status switch
        {
            ActionStatus.Done => TypedResults.Accepted($"/api/runs/{outcome.Value}", (await ViewAsync(db, outcome.Value, cancellationToken))!),
            ActionStatus.Invalid => ActionResults.Invalid(outcome),
            ActionStatus.Forbidden => ActionResults.Forbidden(outcome),
            _ => ActionResults.NotFound(outcome),
        };
    }

    /// <summary>A manual run of a commit: expanded into jobs in the background (Hangfire), from perfci.yml at that commit.</summary>
    public static async Task<Results<Accepted<RunView>, ValidationProblem, NotFound<string>>> CreateAsync(
        CreateRunRequest request, PerfCiDbContext db, IBackgroundJobClient jobs, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var parts = request.Repository!.Split('/');
        var repository = await db.Repositories.SingleOrDefaultAsync(r => r.Owner == parts[0] && r.Name == parts[1], cancellationToken);
        if (repository is null)
            return TypedResults.NotFound($"Repository {request.Repository} is not registered.");
        var sha = request.Commit!.ToLowerInvariant();
        var now = time.GetUtcNow();
        var commit = await db.Commits.SingleOrDefaultAsync(c => c.RepositoryId == repository.Id && c.Sha == sha, cancellationToken)
            ?? db.Commits.Add(new Commit { RepositoryId = repository.Id, Sha = sha, CommittedAt = now }).Entity;
        var run = new Run
        {
            Repository = repository, Commit = commit, Trigger = RunTrigger.Manual, State = RunState.Pending,
            SuiteFilter = request.Suites is { Length: > 0 } ? request.Suites : null, HardwareClass = request.HardwareClass, CreatedAt = now,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        jobs.Enqueue<ExpandRunJob>(job => job.RunAsync(run.Id, CancellationToken.None));
        return TypedResults.Accepted($"/api/runs/{run.Id}", (await ViewAsync(db, run.Id, cancellationToken))!);
    }

    public static async Task<Results<Ok<RunView>, NotFound>> GetAsync(long id, PerfCiDbContext db, CancellationToken cancellationToken) =>
        await ViewAsync(db, id, cancellationToken) is { } view ? TypedResults.Ok(view) : TypedResults.NotFound();

    /// <summary>The run with its jobs; a queued job says why it waits (no runner has its labels, or all are busy).</summary>
    private static async Task<RunView?> ViewAsync(PerfCiDbContext db, long id, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking()
            .Where(r => r.Id == id)
            .Select(r => new { r.Id, Repository = r.Repository.Owner + "/" + r.Repository.Name, r.Commit.Sha, r.Trigger, r.State, r.Error, r.CreatedAt })
            .SingleOrDefaultAsync(cancellationToken);
        if (run is null)
            return null;
        var jobs = await db.Jobs.AsNoTracking().Where(j => j.RunId == id).OrderBy(j => j.Id)
            .Select(j => new { j.Id, Suite = j.Suite.Name, j.State, j.Attempt, j.RequiredLabels, j.RequiredHardwareClass, Runner = j.Runner == null ? null : j.Runner.Name, j.Error, j.EngineLogTail })
            .ToListAsync(cancellationToken);
        var runners = await db.Runners.AsNoTracking().Where(r => r.State != RunnerState.Revoked)
            .Select(r => new { r.Labels, r.HardwareClass, r.State }).ToListAsync(cancellationToken);
        string? Waiting(string[] labels, string? hardwareClass, JobState state)
        {
            if (state != JobState.Queued)
                return null;
            var able = runners.Where(r => labels.All(r.Labels.Contains) && (hardwareClass is null || r.HardwareClass == hardwareClass)).ToList();
            if (able.Count == 0)
                return $"no registered runner has the labels [{string.Join(", ", labels)}]" + (hardwareClass is null ? "" : $" and hardware class {hardwareClass}");
            return able.Any(r => r.State == RunnerState.Idle) ? "waiting for a runner to claim it" : $"waiting for one of {able.Count} matching runners to be free or online";
        }
        return new RunView(run.Id, run.Repository, run.Sha, run.Trigger, run.State, run.Error, run.CreatedAt,
            [.. jobs.Select(j => new JobView(j.Id, j.Suite, j.State, j.Attempt, j.RequiredLabels, j.Runner, Waiting(j.RequiredLabels, j.RequiredHardwareClass, j.State), j.Error, j.EngineLogTail))]);
    }
}
