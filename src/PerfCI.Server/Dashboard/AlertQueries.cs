using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Ui.Alerts;

namespace PerfCI.Server.Dashboard;

/// <summary>The alerts page's reads: no tracking, a fresh context per call.</summary>
public sealed class AlertQueries(IDbContextFactory<PerfCiDbContext> contexts) : IAlertQueries
{
    public async Task<IReadOnlyList<AlertGroupItem>> ListAsync(AlertFilter filter, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var groups = db.AlertGroups.AsNoTracking();
        if (filter.Repository?.Split('/') is [var owner, var name])
            groups = groups.Where(g => g.Repository.Owner == owner && g.Repository.Name == name);
        if (filter.State is { } state)
            groups = groups.Where(g => g.State == state);
        else if (!filter.All)
            groups = groups.Where(g => g.State == AlertState.New || g.State == AlertState.Acknowledged || g.State == AlertState.Confirmed);
        var metric = string.IsNullOrWhiteSpace(filter.Metric) ? null : filter.Metric;
        if (metric is not null)
            groups = groups.Where(g => g.Alerts.Any(a => a.Series.Metric == metric));
        return await groups.OrderByDescending(g => g.CreatedAt).ThenByDescending(g => g.Id).Take(Math.Clamp(filter.Take, 1, 500))
            .Select(g => new AlertGroupItem(
                g.Id, g.Repository.Owner + "/" + g.Repository.Name, g.FromCommit == null ? null : g.FromCommit.Sha, g.ToCommit.Sha, g.State, g.CreatedAt,
                db.Commits.Where(c => c.Id == g.CulpritCommitId).Select(c => c.Sha).FirstOrDefault(), g.BisectId,
                g.Alerts.Where(a => metric == null || a.Series.Metric == metric).OrderBy(a => a.Id).Select(a => new AlertItem(
                    a.Id, a.Series.Suite.Name, a.Series.Scenario, a.Series.Metric, a.Series.Unit, a.Series.HardwareClass, a.Kind, a.State,
                    a.Magnitude, a.MagnitudeLower, a.MagnitudeUpper, a.ChangePointId, a.ChangePoint != null && a.ChangePoint.Accepted, a.TriagedBy, a.Note)).ToList()))
            .ToListAsync(cancellationToken);
    }

    public async Task<AlertFilterChoices> ChoicesAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var repositories = await db.Repositories.AsNoTracking().OrderBy(r => r.Owner).ThenBy(r => r.Name).Select(r => r.Owner + "/" + r.Name).ToListAsync(cancellationToken);
        var metrics = await db.Alerts.AsNoTracking().Select(a => a.Series.Metric).Distinct().OrderBy(m => m).ToListAsync(cancellationToken);
        return new AlertFilterChoices(repositories, metrics);
    }
}
