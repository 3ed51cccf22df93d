using Hangfire;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Data;

namespace PerfCI.Server.Bisect;

/// <summary>
/// Every minute: a turn for every bisect still going, and auto-bisect for every confirmed alert
/// group of an opted-in repository that has none yet. Bisects move on their runs' ends anyway;
/// this catches what a crash between two writes lost (a run ended and its bisect was not told),
/// and groups confirmed by any path (API, dashboard, a script writing the database).
/// </summary>
public sealed class BisectSweepJob(PerfCiDbContext db, IBackgroundJobClient jobs)
{
    public const string RecurringId = "bisect-sweep";

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution("bisect-sweep", 30)]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var active = await db.Bisects.AsNoTracking().Where(b => b.State == BisectState.Queued || b.State == BisectState.Running)
            .Select(b => b.Id).ToListAsync(cancellationToken);
        foreach (var id in active)
            jobs.Enqueue<BisectJob>(job => job.RunAsync(id, CancellationToken.None));

        // The setting lives in the repository's jsonb settings: few repositories, read them all.
        var optedIn = (await db.Repositories.AsNoTracking().Select(r => new { r.Id, r.Settings }).ToListAsync(cancellationToken))
            .Where(r => r.Settings.AutoBisect).Select(r => r.Id).ToList();
        if (optedIn.Count == 0)
            return;
        var groups = await db.AlertGroups.AsNoTracking()
            .Where(g => optedIn.Contains(g.RepositoryId) && g.State == AlertState.Confirmed && g.BisectId == null && g.CulpritCommitId == null
                && g.Alerts.Any(a => a.Kind == AlertKind.Regression && a.State == AlertState.Confirmed))
            .Select(g => g.Id).ToListAsync(cancellationToken);
        foreach (var id in groups)
            jobs.Enqueue<AutoBisectJob>(job => job.RunAsync(id, CancellationToken.None));
    }
}
