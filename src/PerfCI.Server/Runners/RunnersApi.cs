using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;
using PerfCI.Data;

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
        return app;
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
