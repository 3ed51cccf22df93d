using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;
using PerfCI.Data;
using PerfCI.Server.Access;
using PerfCI.Ui.Actions;
using PerfCI.Ui.Runners;

namespace PerfCI.Server.Runners;

public static class RunnersApi
{
    public static IEndpointRouteBuilder MapRunnersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/runners").WithTags("Runners");
        api.MapGet("/", ListRunnersAsync).WithName("ListRunners").RequireAuthorization(PerfCiPolicies.Read);
        // The one-time registration token is the credential here.
        api.MapPost("/register", RegisterAsync).WithName("RegisterRunner");
        api.MapGet("/me", MeAsync).WithName("CurrentRunner").RequireAuthorization(RunnerPolicy);
        api.MapPost("/claim", ClaimAsync).WithName("ClaimJob").RequireAuthorization(RunnerPolicy);
        api.MapPost("/{id:long}/revoke", RevokeAsync).WithName("RevokeRunner").RequireAuthorization(PerfCiPolicies.Administer);
        app.MapPost("/api/runner-tokens", CreateTokenAsync).WithTags("Runners").WithName("CreateRunnerToken").RequireAuthorization(PerfCiPolicies.Administer);
        return app;
    }

    /// <summary>
    /// A one-time registration token (admin), returned once with the exact register command; only its
    /// hash is stored. <c>serverUrl</c> defaults to the address this request came to.
    /// </summary>
    public static async Task<Results<Ok<RegistrationTokenCreated>, ValidationProblem, ProblemHttpResult>> CreateTokenAsync(
        CreateRunnerTokenRequest request, HttpRequest http, ClaimsPrincipal user, RunnerAdministration administration, CancellationToken cancellationToken)
    {
        if (request.ExpiresHours is { } hours && (double.IsNaN(hours) || hours <= 0 || hours > RunnerAdministration.MaxLifetime.TotalHours))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["expiresHours"] = ["Between a few minutes and 30 days (720 hours)."] });
        var serverUrl = string.IsNullOrWhiteSpace(request.ServerUrl) ? $"{http.Scheme}://{http.Host}{http.PathBase}" : request.ServerUrl;
        var outcome = await administration.CreateRegistrationTokenAsync(
            user, serverUrl, request.Name, request.Labels ?? [], TimeSpan.FromHours(request.ExpiresHours ?? 24), cancellationToken);
        return outcome.Status switch
        {
            ActionStatus.Done => TypedResults.Ok(outcome.Value!),
            ActionStatus.Invalid => ActionResults.Invalid(outcome),
            _ => ActionResults.Forbidden(outcome),
        };
    }

    /// <summary>Revokes a runner (admin): its credential gets 401 from now on and the runner exits; a job it held goes back to the queue.</summary>
    public static async Task<Results<Ok<RunnerDto>, ProblemHttpResult>> RevokeAsync(
        long id, ClaimsPrincipal user, RunnerAdministration administration, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var outcome = await administration.RevokeAsync(user, id, cancellationToken);
        if (outcome.Status != ActionStatus.Done)
            return outcome.Status == ActionStatus.Forbidden ? ActionResults.Forbidden(outcome) : ActionResults.NotFound(outcome);
        var runner = await db.Runners.AsNoTracking().Where(r => r.Id == id)
            .Select(r => new RunnerDto(r.Id, r.Name, r.Labels, r.HardwareClass, r.Hardware, r.State, r.Version, r.RegisteredAt, r.LastSeenAt))
            .SingleAsync(cancellationToken);
        return TypedResults.Ok(runner);
    }

    public const string RunnerPolicy = "runner";

    public static async Task<Results<Ok<RegisterRunnerResponse>, ValidationProblem, ProblemHttpResult>> RegisterAsync(
        RegisterRunnerRequest request, RunnerRegistration registration, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var (outcome, runner) = await registration.RegisterAsync(request, cancellationToken);
        return outcome switch
        {
            RegistrationOutcome.Registered => TypedResults.Ok(runner!),
            RegistrationOutcome.NameTaken => TypedResults.Problem($"A runner named '{request.Name}' is already registered.", statusCode: StatusCodes.Status409Conflict, title: "Name taken"),
            _ => TypedResults.Problem("The registration token is unknown, already used or expired. Ask an admin for a new one.", statusCode: StatusCodes.Status401Unauthorized, title: "Registration token rejected"),
        };
    }

    /// <summary>Long-poll: a job under a lease, or 204 after the claim wait (poll again at once).</summary>
    public static async Task<Results<Ok<ClaimedJob>, NoContent>> ClaimAsync(
        ClaimsPrincipal user, JobClaims claims, PerfCiDbContext db, Hangfire.IBackgroundJobClient jobs, TimeProvider time,
        Microsoft.Extensions.Options.IOptions<RunnersOptions> options, CancellationToken cancellationToken)
    {
        var id = user.RunnerId();
        await db.Runners.Where(r => r.Id == id).ExecuteUpdateAsync(set => set.SetProperty(r => r.LastSeenAt, time.GetUtcNow()), cancellationToken);
        var job = await claims.ClaimAsync(id, options.Value.ClaimWait, cancellationToken);
        if (job is null)
            return TypedResults.NoContent();
        await Runs.StartAsync(db, jobs, job.RunId, time.GetUtcNow(), CancellationToken.None);
        return TypedResults.Ok(job);
    }

    /// <summary>Who the credential belongs to; a runner calls it to check its credential at start.</summary>
    public static async Task<Results<Ok<RunnerDto>, NotFound>> MeAsync(ClaimsPrincipal user, PerfCiDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var id = user.RunnerId();
        await db.Runners.Where(r => r.Id == id).ExecuteUpdateAsync(set => set.SetProperty(r => r.LastSeenAt, time.GetUtcNow()), cancellationToken);
        var runner = await db.Runners.AsNoTracking().Where(r => r.Id == id)
            .Select(r => new RunnerDto(r.Id, r.Name, r.Labels, r.HardwareClass, r.Hardware, r.State, r.Version, r.RegisteredAt, r.LastSeenAt))
            .SingleOrDefaultAsync(cancellationToken);
        return runner is null ? TypedResults.NotFound() : TypedResults.Ok(runner);
    }

    public static async Task<Ok<RunnerDto[]>> ListRunnersAsync(PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var runners = await db.Runners.AsNoTracking()
            .OrderBy(r => r.Name)
            .Select(r => new RunnerDto(r.Id, r.Name, r.Labels, r.HardwareClass, r.Hardware, r.State, r.Version, r.RegisteredAt, r.LastSeenAt))
            .ToArrayAsync(cancellationToken);
        return TypedResults.Ok(runners);
    }
}

public sealed record RunnerDto(
    long Id, string Name, string[] Labels, string HardwareClass, HardwareFingerprint Hardware,
    RunnerState State, string Version, DateTimeOffset RegisteredAt, DateTimeOffset? LastSeenAt);

/// <summary>A registration token's request: the runner's name for the command, labels it gets, hours it stays valid (default 24).</summary>
public sealed record CreateRunnerTokenRequest(string? Name, string[]? Labels, double? ExpiresHours, string? ServerUrl);
