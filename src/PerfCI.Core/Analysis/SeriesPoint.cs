using PerfCI.Core.Domain;

namespace PerfCI.Core.Analysis;

/// <summary>
/// One point of a series: the results of one commit, in first-parent order. The per-trial samples are
/// kept rather than a mean so that one slow trial (a page-cache miss, a noisy neighbour) moves the
/// point's median, not its level.
/// </summary>
public sealed record SeriesPoint(string Commit, IReadOnlyList<double> Samples);

/// <summary>
/// The points on one side of a change. Computed over the per-point medians of the trials, the unit
/// the analysis works in (runs are independent of each other; trials of one run are not).
/// </summary>
public sealed record SegmentSummary(int Start, int End, int Points, double Mean, double Median, double StdDev, double CoefficientOfVariation);

/// <summary>
/// A change point: the first point at the new level, with the relative shift (Hodges-Lehmann, +0.05 is
/// +5%) and its confidence interval, the Mann-Whitney p-value, and what the change means for the
/// metric's direction. <see cref="Before"/> and <see cref="After"/> are the points the statistics were
/// computed from: at most a window on each side, never across a neighbouring change.
/// </summary>
public sealed record DetectedChange(
    int Index,
    string Commit,
    string? PreviousCommit,
    double Magnitude,
    double MagnitudeLower,
    double MagnitudeUpper,
    double PValue,
    ChangeKind Kind,
    SegmentSummary Before,
    SegmentSummary After,
    double Noise);
