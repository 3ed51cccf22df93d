namespace PerfCI.Server.Runners;

public sealed class RunnersOptions
{
    public const string SectionName = "Runners";

    /// <summary>A runner silent for this long is shown offline (its long-poll is ~30 s).</summary>
    public TimeSpan OfflineAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a claim waits for a job before answering 204 (the runner then polls again at once).</summary>
    public TimeSpan ClaimWait { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A lease not renewed by a heartbeat within this long expires, and the job is queued again.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How often expired leases are looked for: a job whose runner died waits up to the lease plus
    /// this long before it is queued again. Whole seconds, from 1 s to 1 min.
    /// </summary>
    public TimeSpan LeaseCheckInterval { get; set; } = TimeSpan.FromMinutes(1);
}
