using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using PerfCI.Core.Access;
using PerfCI.Server.Accounts;
using PerfCI.Ui.Bisect;

namespace PerfCI.Server.Bisect;

/// <summary>"Bisect this": an alert's range and series, with the budget the request may change.</summary>
public sealed record BisectAlertRequest(string? Good, string? Bad, int? TrialsPerStep, int? MaxTrialsPerStep, int? MaxSteps, double? MaxRunnerHours, string? Mode, string? RequestedBy);

/// <summary>Bisects: start one (from a range or an alert), follow it, cancel it.</summary>
public static class BisectsApi
{
    public static IEndpointRouteBuilder MapBisectsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Bisects");
        api.MapPost("/bisects", StartAsync).WithName("StartBisect").RequireAuthorization(PerfCiPolicies.Maintain);
        api.MapGet("/bisects", ListAsync).WithName("ListBisects").RequireAuthorization(PerfCiPolicies.Read);
        api.MapGet("/bisects/{id:long}", GetAsync).WithName("GetBisect").RequireAuthorization(PerfCiPolicies.Read);
        api.MapPost("/bisects/{id:long}/cancel", CancelAsync).WithName("CancelBisect").RequireAuthorization(PerfCiPolicies.Maintain);
        api.MapPost("/alerts/{id:long}/bisect", BisectAlertAsync).WithName("BisectAlert").RequireAuthorization(PerfCiPolicies.Maintain);
        return app;
    }

    /// <summary>
    /// Starts a bisect of good..bad (or of an alert's range: <c>alertId</c>, <c>alertGroupId</c>) on one
    /// series. Every bad field is named in a 400: an unknown commit, good not an ancestor of bad, a series
    /// never measured.
    /// </summary>
    public static async Task<Results<Created<BisectDetail>, ValidationProblem>> StartAsync(
        StartBisectRequest request, ClaimsPrincipal user, BisectCommands commands, IBisectQueries queries, CancellationToken cancellationToken)
    {
        var (by, error) = Actor.Resolve(user, request.RequestedBy);
        if (error is not null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["requestedBy"] = [error] });
        var started = await commands.StartAsync(request with { RequestedBy = by }, cancellationToken);
        if (started.BisectId is not { } id)
            return TypedResults.ValidationProblem(started.Errors);
        return TypedResults.Created($"/api/bisects/{id}", await queries.GetAsync(id, cancellationToken));
    }

    /// <summary>"Bisect this": the alert's group gives the range, the alert its series.</summary>
    public static async Task<Results<Created<BisectDetail>, NotFound, ValidationProblem>> BisectAlertAsync(
        long id, BisectAlertRequest? request, ClaimsPrincipal user, BisectCommands commands, IBisectQueries queries, CancellationToken cancellationToken)
    {
        request ??= new BisectAlertRequest(null, null, null, null, null, null, null, null);
        var (by, error) = Actor.Resolve(user, request.RequestedBy);
        if (error is not null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["requestedBy"] = [error] });
        var started = await commands.StartAsync(new StartBisectRequest(
            null, request.Good, request.Bad, null, id, null, null, null, null, request.TrialsPerStep, request.MaxTrialsPerStep, request.MaxSteps,
            request.MaxRunnerHours, request.Mode, by), cancellationToken);
        if (started.BisectId is { } bisectId)
            return TypedResults.Created($"/api/bisects/{bisectId}", await queries.GetAsync(bisectId, cancellationToken));
        return started.Errors.ContainsKey("alertId") ? TypedResults.NotFound() : TypedResults.ValidationProblem(started.Errors);
    }

    /// <summary>Bisects, newest first; <c>repository=owner/name</c> keeps one repository's.</summary>
    public static async Task<Results<Ok<IReadOnlyList<BisectSummary>>, ValidationProblem>> ListAsync(
        string? repository, IBisectQueries queries, CancellationToken cancellationToken)
    {
        if (repository is not null && repository.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["repository"] = ["Expected owner/name."] });
        return TypedResults.Ok(await queries.ListAsync(repository, cancellationToken));
    }

    /// <summary>The bisect with every step: commit, message, trials, median, decision, p-value, run.</summary>
    public static async Task<Results<Ok<BisectDetail>, NotFound>> GetAsync(long id, IBisectQueries queries, CancellationToken cancellationToken) =>
        await queries.GetAsync(id, cancellationToken) is { } bisect ? TypedResults.Ok(bisect) : TypedResults.NotFound();

    /// <summary>Cancels the bisect and its runs; one that already ended is a 409.</summary>
    public static async Task<Results<Ok<BisectDetail>, NotFound, ProblemHttpResult>> CancelAsync(
        long id, ClaimsPrincipal user, BisectCommands commands, IBisectQueries queries, CancellationToken cancellationToken)
    {
        var cancelled = await commands.CancelAsync(id, user.Identity?.Name, cancellationToken);
        if (cancelled is null)
            return TypedResults.NotFound();
        if (cancelled == false)
            return TypedResults.Problem($"Bisect {id} has already ended.", statusCode: StatusCodes.Status409Conflict, title: "Already ended");
        return TypedResults.Ok((await queries.GetAsync(id, cancellationToken))!);
    }
}
