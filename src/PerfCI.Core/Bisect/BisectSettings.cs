using PerfCI.Core.Domain;

namespace PerfCI.Core.Bisect;

/// <summary>How a bisect measures and decides. The defaults are Pinpoint's order of magnitude.</summary>
public sealed record BisectSettings
{
    /// <summary>Which way is better: only used to call the change a regression or an improvement.</summary>
    public required MetricDirection Direction { get; init; }

    /// <summary>Trials at a commit the first time it is measured.</summary>
    public int InitialTrials { get; init; } = 5;

    /// <summary>Cap on the trials at one commit: an undecided commit's trials double up to it.</summary>
    public int MaxTrials { get; init; } = 40;

    /// <summary>How many commits are measured at once (k-ary split); 1 is a plain bisection.</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>Budget: the most distinct commits measured or tried, the two ends included.</summary>
    public int MaxMeasuredCommits { get; init; } = 30;

    /// <summary>Significance level of every Mann-Whitney test; intervals are at 1 - Alpha.</summary>
    public double Alpha { get; init; } = 0.01;

    /// <summary>Differences smaller than this fraction (0.02 = 2%) count as none, even when significant.</summary>
    public double MinRelativeChange { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(Direction))
            throw new ArgumentOutOfRangeException(nameof(Direction), Direction, "Unknown metric direction.");
        if (InitialTrials < 1)
            throw new ArgumentOutOfRangeException(nameof(InitialTrials), InitialTrials, "At least one trial per commit is needed.");
        if (MaxTrials < InitialTrials)
            throw new ArgumentOutOfRangeException(nameof(MaxTrials), MaxTrials, "MaxTrials must be at least InitialTrials.");
        if (Parallelism < 1)
            throw new ArgumentOutOfRangeException(nameof(Parallelism), Parallelism, "Parallelism must be at least 1.");
        if (MaxMeasuredCommits < 2)
            throw new ArgumentOutOfRangeException(nameof(MaxMeasuredCommits), MaxMeasuredCommits, "The budget must cover at least the two ends.");
        if (!(Alpha is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "Alpha must be between 0 and 1.");
        if (!(MinRelativeChange >= 0 && double.IsFinite(MinRelativeChange)))
            throw new ArgumentOutOfRangeException(nameof(MinRelativeChange), MinRelativeChange, "MinRelativeChange must be a non-negative fraction.");
    }
}
