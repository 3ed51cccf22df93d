using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Ui.Runners;

namespace PerfCI.Server.Dashboard;

/// <summary>The runners page's reads: no tracking, a fresh context per call.</summary>
public sealed class RunnerQueries(IDbContextFactory<PerfCiDbContext> contexts) : IRunnerQueries
{
    public async Task<IReadOnlyList<RunnerItem>> ListAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var runners = await db.Runners.AsNoTracking().OrderBy(r => r.Name)
            .Select(r => new
            {
                r.Id, r.Name, r.Labels, r.HardwareClass, r.Hardware, r.State, r.Version, r.RegisteredAt, r.LastSeenAt,
                Current = db.Jobs.Where(j => j.RunnerId == r.Id && j.State == JobState.Running)
                    .Select(j => new { j.Id, j.RunId, Suite = j.Suite.Name, Repository = j.Run.Repository.Owner + "/" + j.Run.Repository.Name, j.Run.Commit.Sha })
                    .FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        return [.. runners.Select(r => new RunnerItem(
            r.Id, r.Name, r.Labels, r.HardwareClass, RunQueries.Describe(r.Hardware), r.State, r.Version, r.RegisteredAt, r.LastSeenAt,
            r.Current?.Id, r.Current?.RunId, r.Current is { } c ? $"{c.Repository} {c.Sha[..Math.Min(8, c.Sha.Length)]} {c.Suite}" : null))];
    }
}
