using System.Security.Claims;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Access;
using PerfCI.Ui.Actions;
using PerfCI.Ui.Alerts;

namespace PerfCI.Server.Analysis;

/// <summary>Triage of alerts and groups and accepting a step, for the API and the dashboard alike (maintainer).</summary>
public sealed class AlertTriage(IDbContextFactory<PerfCiDbContext> contexts, IBackgroundJobClient jobs, TimeProvider time) : IAlertActions
{
    public const int MaxNote = 4000;

    public async Task<ActionOutcome<AlertState>> TriageAlertAsync(ClaimsPrincipal user, long alertId, AlertState state, string? note, CancellationToken cancellationToken) =>
        !ActionRoles.MayMaintain(user) ? ActionOutcome<AlertState>.Forbidden(PerfCiRoles.Maintainer)
        : await TriageAlertUncheckedAsync(alertId, state, note, ActionRoles.NameOf(user), cancellationToken);

    public async Task<ActionOutcome<AlertState>> TriageGroupAsync(ClaimsPrincipal user, long groupId, AlertState state, string? note, CancellationToken cancellationToken) =>
        !ActionRoles.MayMaintain(user) ? ActionOutcome<AlertState>.Forbidden(PerfCiRoles.Maintainer)
        : await TriageGroupUncheckedAsync(groupId, state, note, ActionRoles.NameOf(user), cancellationToken);

    public async Task<ActionOutcome<long>> AcceptStepAsync(ClaimsPrincipal user, long changePointId, string? note, CancellationToken cancellationToken) =>
        !ActionRoles.MayMaintain(user) ? ActionOutcome<long>.Forbidden(PerfCiRoles.Maintainer)
        : await AcceptStepUncheckedAsync(changePointId, note, ActionRoles.NameOf(user), cancellationToken);

    /// <summary>One alert takes a new state; its group's state follows. For callers authorized elsewhere (an endpoint's policy).</summary>
    public async Task<ActionOutcome<AlertState>> TriageAlertUncheckedAsync(long alertId, AlertState state, string? note, string by, CancellationToken cancellationToken)
    {
        if (note is { Length: > MaxNote })
            return ActionOutcome<AlertState>.Invalid("note", $"At most {MaxNote} characters.");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var alert = await db.Alerts.SingleOrDefaultAsync(a => a.Id == alertId, cancellationToken);
        if (alert is null)
            return ActionOutcome<AlertState>.NotFound($"There is no alert {alertId}.");
        if (!AnalysisApi.CanMove(alert.State, state))
            return ActionOutcome<AlertState>.Invalid("state", $"An alert that is {AnalysisApi.Name(alert.State)} cannot become {AnalysisApi.Name(state)}.");
        Apply(alert, state, note, by, time.GetUtcNow());
        await db.SaveChangesAsync(cancellationToken);
        await AlertGroups.RefreshAsync(db, [alert.GroupId], cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        // A confirmed regression starts a bisect at once where the repository opts in.
        if (state == AlertState.Confirmed)
            Bisect.AutoBisectJob.Enqueue(jobs, alert.GroupId);
        return ActionOutcome<AlertState>.Done(alert.State);
    }

    /// <summary>Triage of a whole group: every alert that may take the new state takes it. Returns the group's state.</summary>
    public async Task<ActionOutcome<AlertState>> TriageGroupUncheckedAsync(long groupId, AlertState state, string? note, string by, CancellationToken cancellationToken)
    {
        if (note is { Length: > MaxNote })
            return ActionOutcome<AlertState>.Invalid("note", $"At most {MaxNote} characters.");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var group = await db.AlertGroups.Include(g => g.Alerts).SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken);
        if (group is null)
            return ActionOutcome<AlertState>.NotFound($"There is no alert group {groupId}.");
        var movable = group.Alerts.Where(a => AnalysisApi.CanMove(a.State, state)).ToList();
        if (movable.Count == 0)
            return ActionOutcome<AlertState>.Invalid("state", $"No alert of this group can become {AnalysisApi.Name(state)}.");
        var now = time.GetUtcNow();
        foreach (var alert in movable)
            Apply(alert, state, note, by, now);
        group.State = AlertGroups.StateOf([.. group.Alerts.Select(a => a.State)]);
        await db.SaveChangesAsync(cancellationToken);
        if (state == AlertState.Confirmed)
            Bisect.AutoBisectJob.Enqueue(jobs, groupId);
        return ActionOutcome<AlertState>.Done(group.State);
    }

    /// <summary>
    /// "This is the new normal": later analysis takes the level after this change as the baseline, and
    /// the change's open alerts close as won't-fix. Returns the change point's series.
    /// </summary>
    public async Task<ActionOutcome<long>> AcceptStepUncheckedAsync(long changePointId, string? note, string by, CancellationToken cancellationToken)
    {
        if (note is { Length: > MaxNote })
            return ActionOutcome<long>.Invalid("note", $"At most {MaxNote} characters.");
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var changePoint = await db.ChangePoints.SingleOrDefaultAsync(c => c.Id == changePointId, cancellationToken);
        if (changePoint is null)
            return ActionOutcome<long>.NotFound($"There is no change point {changePointId}.");
        var now = time.GetUtcNow();
        changePoint.Accepted = true;
        changePoint.AcceptedBy = by;
        changePoint.AcceptedAt = now;
        var alerts = await db.Alerts.Where(a => a.ChangePointId == changePointId).ToListAsync(cancellationToken);
        foreach (var alert in alerts.Where(a => AlertGroups.IsOpen(a.State)))
            Apply(alert, AlertState.WontFix, note ?? "Accepted as the new normal.", by, now);
        await db.SaveChangesAsync(cancellationToken);
        await AlertGroups.RefreshAsync(db, alerts.Select(a => a.GroupId), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        var seriesId = changePoint.SeriesId;
        jobs.Enqueue<SeriesAnalysisJob>(job => job.RunAsync(seriesId, CancellationToken.None));
        return ActionOutcome<long>.Done(seriesId);
    }

    private static void Apply(Alert alert, AlertState state, string? note, string by, DateTimeOffset now)
    {
        alert.State = state;
        alert.TriagedBy = by;
        alert.TriagedAt = now;
        if (note is not null)
            alert.Note = note;
    }
}
