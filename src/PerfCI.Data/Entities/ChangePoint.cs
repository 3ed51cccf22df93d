using PerfCI.Core.Domain;

namespace PerfCI.Data.Entities;

public sealed class ChangePoint
{
    public long Id { get; set; }
    public long SeriesId { get; set; }
    public Series Series { get; set; } = null!;
    /// <summary>The first benchmarked commit at the new level.</summary>
    public long CommitId { get; set; }
    public Commit Commit { get; set; } = null!;
    /// <summary>The last benchmarked commit at the old level: the change lies in (previous, commit].</summary>
    public long? PreviousCommitId { get; set; }
    public ChangeKind Kind { get; set; }
    /// <summary>Relative shift of the new level against the old (0.05 = +5%).</summary>
    public double Magnitude { get; set; }
    public double MagnitudeLower { get; set; }
    public double MagnitudeUpper { get; set; }
    public double PValue { get; set; }
    public double MeanBefore { get; set; }
    public double MeanAfter { get; set; }
    /// <summary>Coefficient of variation of the series around the change.</summary>
    public double Noise { get; set; }
    /// <summary>Accepted as the new normal: later analysis uses the new level as baseline.</summary>
    public bool Accepted { get; set; }
    public string? AcceptedBy { get; set; }
    public DateTimeOffset? AcceptedAt { get; set; }
    public DateTimeOffset DetectedAt { get; set; }
}
