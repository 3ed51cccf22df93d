using PerfCI.Core.Domain;

namespace PerfCI.Data.Entities;

/// <summary>
/// What a number is comparable with: (repository, suite, scenario, metric, hardware class).
/// </summary>
public sealed class Series
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public Repository Repository { get; set; } = null!;
    public long SuiteId { get; set; }
    public Suite Suite { get; set; } = null!;
    public required string Scenario { get; set; }
    public required string Metric { get; set; }
    public required string HardwareClass { get; set; }
    public required string Unit { get; set; }
    public MetricDirection Direction { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? LastAnalyzedAt { get; set; }
}
