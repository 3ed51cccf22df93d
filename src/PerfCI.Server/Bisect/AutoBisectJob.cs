using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Data;

namespace PerfCI.Server.Bisect;

/// <summary>
/// A repository that opts in (<c>AutoBisect</c> in its settings) has every confirmed regression
/// bisected: the group's largest confirmed regression, over the group's range, with the default
/// budget. Once per group: a group that has (or had) a bisect, or knows its culprit, is left alone.
/// </summary>
public sealed class AutoBisectJob(PerfCiDbContext db, BisectCommands commands, ILogger<AutoBisectJob> logger)
{
    public const string RequestedBy = "auto-bisect";

    /// <summary>A group was confirmed: bisect it if its repository asks for that (the job checks).</summary>
    public static void Enqueue(IBackgroundJobClient jobs, long alertGroupId) =>
        jobs.Enqueue<AutoBisectJob>(job => job.RunAsync(alertGroupId, CancellationToken.None));

    [AutomaticRetry(Attempts = 3)]
    [DisableConcurrentExecution("auto-bisect:{0}", 60)]
    public async Task RunAsync(long alertGroupId, CancellationToken cancellationToken)
    {
        var group = await db.AlertGroups.AsNoTracking().Include(g => g.Repository).SingleOrDefaultAsync(g => g.Id == alertGroupId, cancellationToken);
        if (group is null || !group.Repository.Settings.AutoBisect || group.State != AlertState.Confirmed || group.BisectId is not null || group.CulpritCommitId is not null)
            return;
        var alert = await db.Alerts.AsNoTracking()
            .Where(a => a.GroupId == alertGroupId && a.Kind == AlertKind.Regression && a.State == AlertState.Confirmed)
            .OrderByDescending(a => Math.Abs(a.Magnitude)).Select(a => (long?)a.Id).FirstOrDefaultAsync(cancellationToken);
        if (alert is null)
            return;
        var started = await commands.StartAsync(new StartBisectRequest(null, null, null, null, alert, null, null, null, null, null, null, null, null, null, RequestedBy), cancellationToken);
        if (started.BisectId is { } id)
            logger.LogInformation("Alert group {Group} confirmed: bisect {BisectId} started", alertGroupId, id);
        else
            logger.LogWarning("Alert group {Group} confirmed, but it cannot be bisected: {Errors}", alertGroupId,
                string.Join("; ", started.Errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")));
    }
}
