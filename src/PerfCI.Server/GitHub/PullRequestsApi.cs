using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Access;
using PerfCI.Server.Accounts;
using PerfCI.Ui.Actions;

namespace PerfCI.Server.GitHub;

public sealed record PullRequestView(
    long Id, string Repository, int Number, string Title, string Author, PullRequestState State, string HeadSha, string HeadRepository,
    string BaseRef, string? MergeBaseSha, bool RequiresApproval, string? ApprovedBy, DateTimeOffset? ApprovedAt,
    string? AcceptedBy, string? AcceptedNote, DateTimeOffset? AcceptedAt, bool AcceptedForHead, long? StickyCommentId, long? CheckRunId, IReadOnlyList<long> Runs);

/// <summary>A maintainer's decision on a pull request, with a note. Who decided is the signed-in user; <c>by</c>, if given, must name that user.</summary>
public sealed record PullRequestDecision(string? By, string? Note);

/// <summary>
/// Pull requests as PerfCI knows them from GitHub, and the two decisions a maintainer makes in the
/// dashboard: approve a fork's pull request for benchmarking (its code runs on the runners), and accept
/// its regression (the check turns green, with a note of who accepted it).
/// </summary>
public static class PullRequestsApi
{
    public static IEndpointRouteBuilder MapPullRequestsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/pull-requests/{owner}/{name}/{number:int}").WithTags("Pull requests");
        api.MapGet("/", GetAsync).WithName("GetPullRequest").RequireAuthorization(PerfCiPolicies.Read);
        api.MapPost("/approve", ApproveAsync).WithName("ApprovePullRequest").RequireAuthorization(PerfCiPolicies.Maintain);
        api.MapPost("/accept", AcceptAsync).WithName("AcceptPullRequestRegression").RequireAuthorization(PerfCiPolicies.Maintain);
        return app;
    }

    public static async Task<Results<Ok<PullRequestView>, NotFound>> GetAsync(string owner, string name, int number, PerfCiDbContext db, CancellationToken cancellationToken) =>
        await FindAsync(db, owner, name, number, cancellationToken) is { } pullRequest ? TypedResults.Ok(await ViewAsync(db, pullRequest, cancellationToken)) : TypedResults.NotFound();

    /// <summary>
    /// Lets a fork's pull request run, as the approval label does; its head is benchmarked at once.
    /// The approval holds for later pushes until it is withdrawn (the label removed).
    /// </summary>
    public static async Task<Results<Ok<PullRequestView>, NotFound, ValidationProblem>> ApproveAsync(
        string owner, string name, int number, PullRequestDecision request, ClaimsPrincipal user, PullRequestDecisions decisions,
        PerfCiDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.PullRequests.AnyAsync(p => p.Repository.Owner == owner && p.Repository.Name == name && p.Number == number, cancellationToken))
            return TypedResults.NotFound();
        var (by, error) = Actor.Resolve(user, request.By);
        if (by is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["by"] = [error!] });
        return await AnswerAsync(await decisions.ApproveUncheckedAsync(owner, name, number, by, cancellationToken), db, owner, name, number, cancellationToken);
    }

    /// <summary>Accepts the regression of the current head: the check turns green with who accepted it and why. A later push is judged afresh.</summary>
    public static async Task<Results<Ok<PullRequestView>, NotFound, ValidationProblem>> AcceptAsync(
        string owner, string name, int number, PullRequestDecision request, ClaimsPrincipal user, PullRequestDecisions decisions,
        PerfCiDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.PullRequests.AnyAsync(p => p.Repository.Owner == owner && p.Repository.Name == name && p.Number == number, cancellationToken))
            return TypedResults.NotFound();
        var errors = new Dictionary<string, string[]>();
        var (by, error) = Actor.Resolve(user, request.By);
        if (error is not null)
            errors["by"] = [error];
        if (request.Note is { Length: > PullRequestDecisions.MaxNote })
            errors["note"] = [$"At most {PullRequestDecisions.MaxNote} characters."];
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        return await AnswerAsync(await decisions.AcceptUncheckedAsync(owner, name, number, request.Note, by!, cancellationToken), db, owner, name, number, cancellationToken);
    }

    private static async Task<Results<Ok<PullRequestView>, NotFound, ValidationProblem>> AnswerAsync(
        ActionOutcome<bool> outcome, PerfCiDbContext db, string owner, string name, int number, CancellationToken cancellationToken) => outcome.Status switch
    {
        ActionStatus.Done => TypedResults.Ok(await ViewAsync(db, (await FindAsync(db, owner, name, number, cancellationToken))!, cancellationToken)),
        ActionStatus.Invalid => ActionResults.Invalid(outcome),
        _ => TypedResults.NotFound(),
    };

    private static Task<PullRequest?> FindAsync(PerfCiDbContext db, string owner, string name, int number, CancellationToken cancellationToken) =>
        db.PullRequests.AsNoTracking().Include(p => p.Repository)
            .SingleOrDefaultAsync(p => p.Repository.Owner == owner && p.Repository.Name == name && p.Number == number, cancellationToken);

    private static async Task<PullRequestView> ViewAsync(PerfCiDbContext db, PullRequest p, CancellationToken cancellationToken)
    {
        var runs = await db.Runs.Where(r => r.PullRequestId == p.Id).OrderBy(r => r.Id).Select(r => r.Id).ToListAsync(cancellationToken);
        return new PullRequestView(p.Id, p.Repository.FullName, p.Number, p.Title, p.Author, p.State, p.HeadSha, p.HeadRepositoryFullName, p.BaseRef,
            p.MergeBaseSha, p.RequiresApproval, p.ApprovedBy, p.ApprovedAt, p.AcceptedBy, p.AcceptedNote, p.AcceptedAt, p.AcceptedHeadSha == p.HeadSha,
            p.StickyCommentId, p.CheckRunId, runs);
    }
}
