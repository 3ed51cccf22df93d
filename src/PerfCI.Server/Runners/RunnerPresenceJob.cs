using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PerfCI.Core.Domain;
using PerfCI.Data;

namespace PerfCI.Server.Runners;

/// <summary>Marks runners that stopped polling as offline, so the fleet view and the queue tell the truth.</summary>
public sealed class RunnerPresenceJob(
    PerfCiDbContext db, IOptions<RunnersOptions> options, TimeProvider time, ILogger<RunnerPresenceJob> logger)
{
    public const string RecurringId = "runners:presence";

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.OfflineAfter;
        // Idempotent: only runners still marked present and silent since the cutoff change.
        var changed = await db.Runners
            .Where(r => (r.State == RunnerState.Idle || r.State == RunnerState.Busy)
                        && (r.LastSeenAt == null || r.LastSeenAt < cutoff))
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.State, RunnerState.Offline), cancellationToken);
        if (changed > 0)
            logger.LogInformation("Marked {Count} runners offline (silent since {Cutoff})", changed, cutoff);
    }
}
