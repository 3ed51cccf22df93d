using PerfCI.Core.Domain;

namespace PerfCI.Core.Analysis;

/// <summary>How <see cref="ChangePointDetector"/> and <see cref="SeriesAnalyzer"/> judge a series.</summary>
public sealed record ChangePointOptions
{
    public MetricDirection Direction { get; init; } = MetricDirection.LowerIsBetter;

    /// <summary>
    /// Significance level of the Mann-Whitney test between the two sides of a change. Strict by default:
    /// every series is re-analysed on every ingest, so a lenient level would page someone every week.
    /// </summary>
    public double PValue { get; init; } = 0.001;

    /// <summary>
    /// Points needed on each side of a change. It is also how many points after a change have to arrive
    /// before it can be reported, and what keeps a single bad run from being called a step.
    /// </summary>
    public int MinSegment { get; init; } = 5;

    /// <summary>
    /// At most this many points on each side are compared. Keeps the analysis local, and so stable: a
    /// change point is settled once <see cref="SettlingPoints"/> points follow it, and appending a point
    /// can only touch the last few windows.
    /// </summary>
    public int Window { get; init; } = 30;

    /// <summary>Configured relative magnitude floor (0.03 = 3%); null leaves only the noise-derived floor.</summary>
    public double? Threshold { get; init; }

    /// <summary>
    /// Index of an accepted step: a forced segment boundary. Nothing is compared across it, so the
    /// points from it on are judged against their own (new) level and the accepted step is not reported.
    /// </summary>
    public int? BaselineStart { get; init; }

    /// <summary>
    /// The noise-derived floor: a change must be at least this many times the local noise (the robust
    /// CV of one point around its level). Changes inside the noise band are real but not actionable.
    /// </summary>
    public double NoiseMultiplier { get; init; } = 2.5;

    /// <summary>Confidence level of the magnitude's interval.</summary>
    public double ConfidenceLevel { get; init; } = 0.95;

    /// <summary>Half-width of the scan that proposes candidate change points.</summary>
    internal int ScanHalfWidth => Math.Max(MinSegment, Window / 2);

    /// <summary>
    /// How many points must follow a change point before nothing appended can alter it: its own window,
    /// the scan that may still propose a closer neighbour, and that neighbour's local-maximum radius.
    /// </summary>
    public int SettlingPoints => Window + ScanHalfWidth + MinSegment;

    internal void Validate()
    {
        if (!(PValue is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(PValue), PValue, "PValue must be between 0 and 1.");
        if (MinSegment < 2)
            throw new ArgumentOutOfRangeException(nameof(MinSegment), MinSegment, "MinSegment must be at least 2.");
        if (Window < 2 * MinSegment)
            throw new ArgumentOutOfRangeException(nameof(Window), Window, "Window must be at least twice MinSegment.");
        if (Threshold is { } threshold && !(threshold >= 0 && double.IsFinite(threshold)))
            throw new ArgumentOutOfRangeException(nameof(Threshold), threshold, "Threshold must be a non-negative fraction (0.03 = 3%).");
        if (BaselineStart is < 0)
            throw new ArgumentOutOfRangeException(nameof(BaselineStart), BaselineStart, "BaselineStart must be a point index.");
        if (!(NoiseMultiplier >= 0 && double.IsFinite(NoiseMultiplier)))
            throw new ArgumentOutOfRangeException(nameof(NoiseMultiplier), NoiseMultiplier, "NoiseMultiplier must be non-negative.");
        if (!(ConfidenceLevel is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(ConfidenceLevel), ConfidenceLevel, "ConfidenceLevel must be between 0 and 1.");
    }
}
