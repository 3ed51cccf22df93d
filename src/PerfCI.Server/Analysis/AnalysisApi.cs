using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Server.Access;
using PerfCI.Server.Accounts;
using PerfCI.Ui.Actions;

namespace PerfCI.Server.Analysis;

public sealed record AlertView(
    long Id, long SeriesId, string Suite, string Scenario, string Metric, string Unit, string HardwareClass, MetricDirection Direction,
    AlertKind Kind, AlertState State, double Magnitude, double MagnitudeLower, double MagnitudeUpper, double Noise,
    long? ChangePointId, double? PValue, string? TriagedBy, DateTimeOffset? TriagedAt, string? Note, long? FixedByChangePointId, DateTimeOffset CreatedAt);

public sealed record AlertGroupView(
    long Id, string Repository, string? FromCommit, string ToCommit, AlertState State, int Regressions, int Improvements, int NoData,
    DateTimeOffset CreatedAt, IReadOnlyList<AlertView> Alerts);

public sealed record ChangePointView(
    long Id, long SeriesId, string Commit, string? PreviousCommit, ChangeKind Kind, double Magnitude, double MagnitudeLower, double MagnitudeUpper,
    double PValue, double LevelBefore, double LevelAfter, double Noise, bool Accepted, string? AcceptedBy, DateTimeOffset? AcceptedAt, DateTimeOffset DetectedAt);

/// <summary>
/// A triage decision: the new state (new, acknowledged, confirmed, invalid, wont_fix (or wont-fix), fixed) and a note.
/// Who decided is the signed-in user; <c>by</c> may be left out (if given, it must name that user).
/// </summary>
public sealed record TriageRequest(string? State, string? Note, string? By);

public sealed record AcceptRequest(string? Note, string? By);

public static class AnalysisApi
{
    public static IEndpointRouteBuilder MapAnalysisApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Alerts");
        api.MapGet("/alert-groups", ListGroupsAsync).WithName("ListAlertGroups").RequireAuthorization(PerfCiPolicies.Read);
        api.MapGet("/alert-groups/{id:long}", GetGroupAsync).WithName("GetAlertGroup").RequireAuthorization(PerfCiPolicies.Read);
        api.MapPost("/alert-groups/{id:long}/triage", TriageGroupAsync).WithName("TriageAlertGroup").RequireAuthorization(PerfCiPolicies.Maintain);
        api.MapPost("/alerts/{id:long}/triage", TriageAlertAsync).WithName("TriageAlert").RequireAuthorization(PerfCiPolicies.Maintain);
        api.MapGet("/series/{id:long}/change-points", ChangePointsAsync).WithName("ListChangePoints").RequireAuthorization(PerfCiPolicies.Read);
        api.MapPost("/change-points/{id:long}/accept", AcceptAsync).WithName("AcceptChangePoint").RequireAuthorization(PerfCiPolicies.Maintain);
        api.MapGet("/runs/{id:long}/comparison", CompareAsync).WithName("CompareRun").RequireAuthorization(PerfCiPolicies.Read);
        return app;
    }

    /// <summary>Alert groups of a repository, newest first; <c>state=open</c> (the default) leaves out closed ones.</summary>
    public static async Task<Results<Ok<AlertGroupView[]>, ValidationProblem>> ListGroupsAsync(
        string? repository, string? state, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var query = db.AlertGroups.AsNoTracking();
        if (repository is not null)
        {
            if (repository.Split('/') is not [{ Length: > 0 } owner, { Length: > 0 } name])
                return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["repository"] = ["Expected owner/name."] });
            query = query.Where(g => g.Repository.Owner == owner && g.Repository.Name == name);
        }
        switch (state ?? "open")
        {
            case "open":
                query = query.Where(g => g.State == AlertState.New || g.State == AlertState.Acknowledged || g.State == AlertState.Confirmed);
                break;
            case "all":
                break;
            default:
                if (ParseState(state) is not { } only)
                    return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["state"] = [$"Unknown state '{state}': expected open, all, {StateNames}."] });
                query = query.Where(g => g.State == only);
                break;
        }
        var ids = await query.OrderByDescending(g => g.CreatedAt).ThenByDescending(g => g.Id).Select(g => g.Id).Take(200).ToListAsync(cancellationToken);
        var groups = await ViewsAsync(db, ids, cancellationToken);
        return TypedResults.Ok(groups);
    }

    public static async Task<Results<Ok<AlertGroupView>, NotFound>> GetGroupAsync(long id, PerfCiDbContext db, CancellationToken cancellationToken) =>
        (await ViewsAsync(db, [id], cancellationToken)) is [var group] ? TypedResults.Ok(group) : TypedResults.NotFound();

    public static async Task<Results<Ok<AlertView>, NotFound, ValidationProblem>> TriageAlertAsync(
        long id, TriageRequest request, ClaimsPrincipal user, AlertTriage triage, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var (state, by, errors) = Validate(request, user);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var outcome = await triage.TriageAlertUncheckedAsync(id, state, request.Note, by!, cancellationToken);
        if (outcome.Status == ActionStatus.NotFound)
            return TypedResults.NotFound();
        if (outcome.Status != ActionStatus.Done)
            return ActionResults.Invalid(outcome);
        var groupId = await db.Alerts.Where(a => a.Id == id).Select(a => a.GroupId).SingleAsync(cancellationToken);
        return TypedResults.Ok((await ViewsAsync(db, [groupId], cancellationToken))[0].Alerts.Single(a => a.Id == id));
    }

    /// <summary>Triage of a whole group: every alert that may take the new state takes it.</summary>
    public static async Task<Results<Ok<AlertGroupView>, NotFound, ValidationProblem>> TriageGroupAsync(
        long id, TriageRequest request, ClaimsPrincipal user, AlertTriage triage, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.AlertGroups.AnyAsync(g => g.Id == id, cancellationToken))
            return TypedResults.NotFound();
        var (state, by, errors) = Validate(request, user);
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var outcome = await triage.TriageGroupUncheckedAsync(id, state, request.Note, by!, cancellationToken);
        if (outcome.Status == ActionStatus.NotFound)
            return TypedResults.NotFound();
        if (outcome.Status != ActionStatus.Done)
            return ActionResults.Invalid(outcome);
        return TypedResults.Ok((await ViewsAsync(db, [id], cancellationToken))[0]);
    }

    public static async Task<Results<Ok<ChangePointView[]>, NotFound>> ChangePointsAsync(long id, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.Series.AnyAsync(s => s.Id == id, cancellationToken))
            return TypedResults.NotFound();
        return TypedResults.Ok(await ChangePointViewsAsync(db, id, cancellationToken));
    }

    private static async Task<ChangePointView[]> ChangePointViewsAsync(PerfCiDbContext db, long id, CancellationToken cancellationToken)
    {
        return await db.ChangePoints.AsNoTracking().Where(c => c.SeriesId == id).OrderBy(c => c.Commit.FirstParentPosition).ThenBy(c => c.Id)
            .Select(c => new ChangePointView(c.Id, c.SeriesId, c.Commit.Sha, db.Commits.Where(p => p.Id == c.PreviousCommitId).Select(p => p.Sha).FirstOrDefault(),
                c.Kind, c.Magnitude, c.MagnitudeLower, c.MagnitudeUpper, c.PValue, c.MeanBefore, c.MeanAfter, c.Noise, c.Accepted, c.AcceptedBy, c.AcceptedAt, c.DetectedAt))
            .ToArrayAsync(cancellationToken);
    }

    /// <summary>
    /// "This is the new normal": later analysis takes the level after this change as the baseline, and
    /// the change's open alerts close as won't-fix.
    /// </summary>
    public static async Task<Results<Ok<ChangePointView>, NotFound, ValidationProblem>> AcceptAsync(
        long id, AcceptRequest request, ClaimsPrincipal user, AlertTriage triage, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        if (!await db.ChangePoints.AnyAsync(c => c.Id == id, cancellationToken))
            return TypedResults.NotFound();
        var (by, error) = Actor.Resolve(user, request.By);
        if (by is null)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["by"] = [error!] });
        var outcome = await triage.AcceptStepUncheckedAsync(id, request.Note, by, cancellationToken);
        if (outcome.Status == ActionStatus.NotFound)
            return TypedResults.NotFound();
        if (outcome.Status != ActionStatus.Done)
            return ActionResults.Invalid(outcome);
        return TypedResults.Ok((await ChangePointViewsAsync(db, outcome.Value, cancellationToken)).Single(c => c.Id == id));
    }

    /// <summary>
    /// The run against its baseline, per metric: a pull request's merge base by default, or the commit
    /// named by <c>base</c>; a run of the default branch without a base is compared with the commits before it.
    /// </summary>
    public static async Task<Results<Ok<RunComparisonView>, NotFound, ValidationProblem>> CompareAsync(
        long id, string? @base, RunComparer comparer, CancellationToken cancellationToken)
    {
        if (@base is not null && (@base.Length is < 7 or > 64 || !@base.All(char.IsAsciiHexDigit)))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["base"] = ["Expected a commit sha (7 to 64 hex digits)."] });
        var comparison = await comparer.CompareAsync(id, @base?.ToLowerInvariant(), cancellationToken);
        return comparison is null ? TypedResults.NotFound() : TypedResults.Ok(comparison);
    }

    private static (AlertState State, string? By, Dictionary<string, string[]> Errors) Validate(TriageRequest request, ClaimsPrincipal user)
    {
        var errors = new Dictionary<string, string[]>();
        var state = ParseState(request.State);
        if (state is null)
            errors["state"] = [$"Required: one of {StateNames}."];
        var (by, error) = Actor.Resolve(user, request.By);
        if (error is not null)
            errors["by"] = [error];
        if (request.Note is { Length: > 4000 })
            errors["note"] = ["At most 4000 characters."];
        return (state ?? AlertState.New, by, errors);
    }


    /// <summary>new -> acknowledged -> (confirmed | invalid | wont-fix | fixed); confirmed may still end fixed, invalid or won't-fix; a closed alert may be reopened (acknowledged).</summary>
    public static bool CanMove(AlertState from, AlertState to) => (from, to) switch
    {
        (AlertState.New, not AlertState.New) => true,
        (AlertState.Acknowledged, AlertState.Confirmed or AlertState.Invalid or AlertState.WontFix or AlertState.Fixed) => true,
        (AlertState.Confirmed, AlertState.Fixed or AlertState.Invalid or AlertState.WontFix) => true,
        (AlertState.Invalid or AlertState.WontFix or AlertState.Fixed, AlertState.Acknowledged) => true,
        _ => false,
    };

    private static readonly string StateNames = string.Join(", ", Enum.GetValues<AlertState>().Select(Name));

    public static string Name(AlertState state) => state switch
    {
        AlertState.WontFix => "wont_fix",
        _ => state.ToString().ToLowerInvariant(),
    };

    public static AlertState? ParseState(string? text) =>
        text is null ? null : Enum.GetValues<AlertState>().Cast<AlertState?>().FirstOrDefault(s =>
            string.Equals(Name(s!.Value), text.Trim().Replace('-', '_'), StringComparison.OrdinalIgnoreCase) || string.Equals(s.Value.ToString(), text.Trim(), StringComparison.OrdinalIgnoreCase));

    private static async Task<AlertGroupView[]> ViewsAsync(PerfCiDbContext db, IReadOnlyCollection<long> ids, CancellationToken cancellationToken)
    {
        var groups = await db.AlertGroups.AsNoTracking().Where(g => ids.Contains(g.Id))
            .Select(g => new
            {
                g.Id, Repository = g.Repository.Owner + "/" + g.Repository.Name, From = g.FromCommit == null ? null : g.FromCommit.Sha, To = g.ToCommit.Sha, g.State, g.CreatedAt,
                Alerts = g.Alerts.OrderBy(a => a.Id).Select(a => new AlertView(
                    a.Id, a.SeriesId, a.Series.Suite.Name, a.Series.Scenario, a.Series.Metric, a.Series.Unit, a.Series.HardwareClass, a.Series.Direction,
                    a.Kind, a.State, a.Magnitude, a.MagnitudeLower, a.MagnitudeUpper, a.Noise, a.ChangePointId, a.ChangePoint == null ? null : a.ChangePoint.PValue,
                    a.TriagedBy, a.TriagedAt, a.Note, a.FixedByChangePointId, a.CreatedAt)).ToList(),
            })
            .ToListAsync(cancellationToken);
        return [.. ids.SelectMany(id => groups.Where(g => g.Id == id)).Select(g => new AlertGroupView(
                g.Id, g.Repository, g.From, g.To, g.State,
                g.Alerts.Count(a => a.Kind == AlertKind.Regression), g.Alerts.Count(a => a.Kind == AlertKind.Improvement), g.Alerts.Count(a => a.Kind == AlertKind.NoData),
                g.CreatedAt, g.Alerts))];
    }
}
