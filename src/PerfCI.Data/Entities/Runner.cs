using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;

namespace PerfCI.Data.Entities;

public sealed class Runner
{
    public long Id { get; set; }
    public required string Name { get; set; }
    public string[] Labels { get; set; } = [];
    public HardwareFingerprint Hardware { get; set; } = new();
    public required string HardwareClass { get; set; }
    /// <summary>SHA-256 of the runner credential; the credential itself is never stored.</summary>
    public required byte[] TokenHash { get; set; }
    public RunnerState State { get; set; }
    public string Version { get; set; } = "";
    public DateTimeOffset RegisteredAt { get; set; }
    public DateTimeOffset? LastSeenAt { get; set; }
}
