using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;
using PerfCI.Data;

namespace PerfCI.Server.Analysis;

/// <summary>One point of a series on the default branch: every trial measured at one commit.</summary>
public sealed record MainlinePoint(long CommitId, string Sha, int Position, double[] Samples)
{
    public SeriesPoint ToSeriesPoint() => new(Sha, Samples);
}

public static class MainlinePoints
{
    /// <summary>
    /// The series in first-parent order, one point per commit (re-runs of a commit pool their trials).
    /// A repository whose history git never gave (results uploaded for a repository the server cannot
    /// clone) falls back to commit time over its non-pull-request runs.
    /// </summary>
    public static async Task<IReadOnlyList<MainlinePoint>> ReadAsync(PerfCiDbContext db, long seriesId, long repositoryId, CancellationToken cancellationToken)
    {
        if (await db.Commits.AnyAsync(c => c.RepositoryId == repositoryId && c.FirstParentPosition != null, cancellationToken))
        {
            // Bisect steps measure commits between the points too, but on demand: left out so that the
            // series (and its change points) do not shift under a bisect.
            var rows = await (
                    from m in db.Measurements.AsNoTracking()
                    join run in db.Runs on m.RunId equals run.Id
                    where m.SeriesId == seriesId && m.Commit.FirstParentPosition != null && run.Trigger != RunTrigger.Bisect
                    orderby m.Commit.FirstParentPosition, m.Id
                    select new { m.CommitId, m.Commit.Sha, Position = m.Commit.FirstParentPosition!.Value, m.Samples })
                .ToListAsync(cancellationToken);
            return Pool(rows.Select(r => (r.CommitId, r.Sha, r.Position, r.Samples)));
        }
        var byTime = await (
                from m in db.Measurements.AsNoTracking()
                join run in db.Runs on m.RunId equals run.Id
                where m.SeriesId == seriesId && run.Trigger != RunTrigger.PullRequest && run.Trigger != RunTrigger.Bisect
                orderby m.Commit.CommittedAt, m.CommitId, m.Id
                select new { m.CommitId, m.Commit.Sha, m.Samples })
            .ToListAsync(cancellationToken);
        var positions = new Dictionary<long, int>();
        return Pool(byTime.Select(r => (r.CommitId, r.Sha, positions.TryGetValue(r.CommitId, out var p) ? p : positions[r.CommitId] = positions.Count, r.Samples)));
    }

    private static List<MainlinePoint> Pool(IEnumerable<(long CommitId, string Sha, int Position, double[] Samples)> rows)
    {
        var points = new List<MainlinePoint>();
        foreach (var row in rows)
        {
            if (points.Count > 0 && points[^1].CommitId == row.CommitId)
                points[^1] = points[^1] with { Samples = [.. points[^1].Samples, .. row.Samples] };
            else
                points.Add(new MainlinePoint(row.CommitId, row.Sha, row.Position, row.Samples));
        }
        return points;
    }
}
