using PerfCI.Core.Domain;

namespace PerfCI.Data.Entities;

/// <summary>One suite of one run, executed by one runner at a time under a lease.</summary>
public sealed class Job
{
    public long Id { get; set; }
    public long RunId { get; set; }
    public Run Run { get; set; } = null!;
    public long SuiteId { get; set; }
    public Suite Suite { get; set; } = null!;
    /// <summary>The suite as parsed from perfci.yml at the run's commit (JSON), so the runner needs nothing else.</summary>
    public string SuiteDefinition { get; set; } = "{}";
    public string[] RequiredLabels { get; set; } = [];
    public string? RequiredHardwareClass { get; set; }
    public JobState State { get; set; }
    public long? RunnerId { get; set; }
    public Runner? Runner { get; set; }
    /// <summary>Fences heartbeats and uploads: a request with another token is stale (409).</summary>
    public Guid? LeaseToken { get; set; }
    public DateTimeOffset? LeaseExpiresAt { get; set; }
    public bool CancelRequested { get; set; }
    public int Attempt { get; set; }
    public int MaxAttempts { get; set; } = 3;
    public DateTimeOffset QueuedAt { get; set; }
    public DateTimeOffset? StartedAt { get; set; }
    public DateTimeOffset? FinishedAt { get; set; }
    public string? Error { get; set; }
    /// <summary>The engine's last log lines when it failed to start or crashed.</summary>
    public string? EngineLogTail { get; set; }
}
