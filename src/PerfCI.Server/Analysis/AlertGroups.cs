using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Analysis;

/// <summary>Alerts of one commit range become one thing to triage.</summary>
public static class AlertGroups
{
    /// <summary>
    /// Serialises group creation per repository for the rest of the transaction: the series of one
    /// commit are analysed in parallel, and two of them must not open two groups for one range.
    /// </summary>
    public static Task LockRepositoryAsync(PerfCiDbContext db, long repositoryId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(7031, {(int)repositoryId})", cancellationToken);

    /// <summary>The group of the range (from, to], created when none exists yet.</summary>
    public static async Task<AlertGroup> ForRangeAsync(PerfCiDbContext db, long repositoryId, long? fromCommitId, long toCommitId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var group = db.AlertGroups.Local.FirstOrDefault(g => g.RepositoryId == repositoryId && g.FromCommitId == fromCommitId && g.ToCommitId == toCommitId)
            ?? await db.AlertGroups.FirstOrDefaultAsync(g => g.RepositoryId == repositoryId && g.FromCommitId == fromCommitId && g.ToCommitId == toCommitId, cancellationToken);
        if (group is null)
        {
            group = new AlertGroup { RepositoryId = repositoryId, FromCommitId = fromCommitId, ToCommitId = toCommitId, State = AlertState.New, CreatedAt = now };
            db.AlertGroups.Add(group);
        }
        return group;
    }

    /// <summary>
    /// A group is as open as its most open alert: new while any alert is new, then acknowledged,
    /// confirmed; once every alert is closed, the state most of them share.
    /// </summary>
    public static AlertState StateOf(IReadOnlyCollection<AlertState> alerts)
    {
        foreach (var open in new[] { AlertState.New, AlertState.Acknowledged, AlertState.Confirmed })
        {
            if (alerts.Contains(open))
                return open;
        }
        return alerts.Count == 0 ? AlertState.Fixed : alerts.GroupBy(s => s).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
    }

    /// <summary>Re-derives the state of the given groups and removes those left without alerts.</summary>
    public static async Task RefreshAsync(PerfCiDbContext db, IEnumerable<long> groupIds, CancellationToken cancellationToken)
    {
        foreach (var id in groupIds.Distinct())
        {
            var group = await db.AlertGroups.Include(g => g.Alerts).SingleOrDefaultAsync(g => g.Id == id, cancellationToken);
            if (group is null)
                continue;
            var states = group.Alerts.Where(a => db.Entry(a).State != EntityState.Deleted).Select(a => a.State).ToList();
            if (states.Count == 0)
                db.AlertGroups.Remove(group);
            else
                group.State = StateOf(states);
        }
    }

    public static bool IsOpen(AlertState state) => state is AlertState.New or AlertState.Acknowledged or AlertState.Confirmed;
}
