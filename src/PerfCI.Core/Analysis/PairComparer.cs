using System.Globalization;
using Perfolizer.Mathematics.Distributions.ContinuousDistributions;
using PerfCI.Core.Domain;

namespace PerfCI.Core.Analysis;

[System.Text.Json.Serialization.JsonConverter(typeof(SnakeCaseEnumConverter<Verdict>))]
public enum Verdict
{
    Regression,
    Improvement,
    NoChange,
    /// <summary>Too noisy, or too few trials, to tell a change of the threshold's size from none.</summary>
    Inconclusive,
}

public sealed record ComparisonOptions
{
    public MetricDirection Direction { get; init; } = MetricDirection.LowerIsBetter;

    /// <summary>
    /// Significance level of the Mann-Whitney test. The shift's interval is at 1 - Alpha, so that a
    /// significant shift is exactly one whose interval leaves out zero.
    /// </summary>
    public double Alpha { get; init; } = 0.01;

    /// <summary>The smallest relative change that matters (0.03 = 3%); null uses <see cref="DefaultThreshold"/>.</summary>
    public double? Threshold { get; init; }

    /// <summary>
    /// The threshold when none is configured. A verdict needs one: without it, "no change" could not be
    /// told from "could not have seen a change", and a 0.1% shift measured precisely would block a merge.
    /// </summary>
    public double DefaultThreshold { get; init; } = 0.02;

    /// <summary>The chance a change of the threshold's size is caught, used for the minimum detectable shift.</summary>
    public double Power { get; init; } = 0.8;

    /// <summary>Upper bound of <see cref="Comparison.TrialsNeeded"/>: past it, more trials will not settle the question.</summary>
    public int MaxTrials { get; init; } = 10_000;

    internal double EffectiveThreshold => Threshold ?? DefaultThreshold;

    internal void Validate()
    {
        if (!(Alpha is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "Alpha must be between 0 and 1.");
        if (!(EffectiveThreshold >= 0 && double.IsFinite(EffectiveThreshold)))
            throw new ArgumentOutOfRangeException(nameof(Threshold), EffectiveThreshold, "The threshold must be a non-negative fraction (0.03 = 3%).");
        if (!(Power is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(Power), Power, "Power must be between 0 and 1.");
        if (MaxTrials < 2)
            throw new ArgumentOutOfRangeException(nameof(MaxTrials), MaxTrials, "MaxTrials must be at least 2.");
    }
}

/// <summary>
/// A candidate (a pull request's head, a bisect step) against its baseline. <see cref="Shift"/> is
/// relative to the baseline's median (+0.05 = 5% higher), with its interval at 1 - Alpha.
/// <see cref="MinimumDetectableShift"/> is the smallest shift this comparison had the stated power to
/// detect, from the noise and the trial counts; <see cref="TrialsNeeded"/> is set when the verdict is
/// inconclusive and says how many candidate trials (with the same baseline) would settle it.
/// </summary>
public sealed record Comparison(
    Verdict Verdict,
    double Shift,
    double ShiftLower,
    double ShiftUpper,
    double PValue,
    double MinimumDetectableShift,
    int? TrialsNeeded,
    int BaselineCount,
    int CandidateCount,
    double BaselineMedian,
    double CandidateMedian,
    string Reason);

/// <summary>
/// Decides whether a candidate's trials differ from the baseline's: Mann-Whitney for significance,
/// Hodges-Lehmann for the size, both rank-based so that one slow trial cannot make or hide a verdict.
/// A regression needs both a significant shift and one at least the threshold's size.
/// </summary>
public static class PairComparer
{
    /// <summary>
    /// Mann-Whitney's efficiency relative to the t-test under normal noise is 3/pi: its minimum
    /// detectable shift is sqrt(pi/3) times the t-test's.
    /// </summary>
    private static readonly double RankTestPenalty = Math.Sqrt(Math.PI / 3);

    public static Comparison Compare(IReadOnlyList<double> baseline, IReadOnlyList<double> candidate, ComparisonOptions options)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var before = Finite(baseline, nameof(baseline));
        var after = Finite(candidate, nameof(candidate));

        var baselineMedian = RobustStatistics.Median(before);
        var candidateMedian = RobustStatistics.Median(after);
        var reference = Math.Abs(baselineMedian) > 0 ? Math.Abs(baselineMedian) : Math.Abs(candidateMedian) > 0 ? Math.Abs(candidateMedian) : 1;
        var shift = RobustStatistics.Shift(before, after, 1 - options.Alpha);
        var relative = shift.Estimate / reference;
        var p = RobustStatistics.MannWhitneyP(before, after);
        var noise = RobustStatistics.PooledScale(before, after) / reference;
        var threshold = options.EffectiveThreshold;
        var detectable = MinimumDetectable(noise, before.Length, after.Length, options);
        var reachable = RobustStatistics.MinimumAttainableP(before.Length, after.Length) < options.Alpha;

        Verdict verdict;
        string reason;
        int? trialsNeeded = null;
        if (p < options.Alpha && Math.Abs(relative) >= threshold && relative != 0)
        {
            var worse = options.Direction == MetricDirection.LowerIsBetter ? relative > 0 : relative < 0;
            verdict = worse ? Verdict.Regression : Verdict.Improvement;
            reason = Invariant($"{Percent(relative)} ({Percent(shift.Lower / reference)} to {Percent(shift.Upper / reference)}) is significant (p = {p:G2}) and at least the {Percent(threshold, false)} threshold.");
        }
        else if (p < options.Alpha)
        {
            verdict = Verdict.NoChange;
            reason = Invariant($"{Percent(relative)} is significant (p = {p:G2}) but under the {Percent(threshold, false)} threshold.");
        }
        else if (!reachable || detectable > threshold || Math.Abs(relative) >= threshold)
        {
            verdict = Verdict.Inconclusive;
            trialsNeeded = TrialsNeeded(noise, before.Length, after.Length, threshold, options);
            var why = !reachable
                ? Invariant($"{before.Length} baseline and {after.Length} candidate trials can never reach p < {options.Alpha:G2}")
                : Invariant($"with {Percent(noise, false)} noise, {before.Length} baseline and {after.Length} candidate trials can only detect {Percent(detectable, false)}, and the threshold is {Percent(threshold, false)}");
            var more = trialsNeeded is { } needed
                ? Invariant($"; about {needed} candidate trials would decide it")
                : Invariant($"; not even {options.MaxTrials} candidate trials would: the baseline itself is too noisy or too short");
            reason = Invariant($"{Percent(relative)} is not significant (p = {p:G2}): {why}{more}.");
        }
        else
        {
            verdict = Verdict.NoChange;
            reason = Invariant($"No significant change (p = {p:G2}); this comparison would have detected {Percent(detectable, false)} or more.");
        }

        return new Comparison(verdict, relative, shift.Lower / reference, shift.Upper / reference, p, detectable, trialsNeeded,
            before.Length, after.Length, baselineMedian, candidateMedian, reason);
    }

    /// <summary>
    /// The shift a two-sided test at Alpha detects with the stated power: (z(1-a/2) + z(power)) standard
    /// errors of the difference of two means, widened for the rank test.
    /// </summary>
    private static double MinimumDetectable(double noise, int baseline, int candidate, ComparisonOptions options) =>
        Multiplier(options) * noise * Math.Sqrt(1.0 / baseline + 1.0 / candidate);

    private static double Multiplier(ComparisonOptions options) =>
        (NormalDistribution.Standard.Quantile(1 - options.Alpha / 2) + NormalDistribution.Standard.Quantile(options.Power)) * RankTestPenalty;

    /// <summary>
    /// The fewest candidate trials, with this baseline, that can both reach significance at all and
    /// detect the threshold; null when the baseline's own share of the error is already too large.
    /// </summary>
    private static int? TrialsNeeded(double noise, int baseline, int candidate, double threshold, ComparisonOptions options)
    {
        for (var trials = Math.Max(candidate + 1, 2); trials <= options.MaxTrials; trials = Math.Max(trials + 1, (int)(trials * 1.05)))
        {
            if (RobustStatistics.MinimumAttainableP(baseline, trials) < options.Alpha && MinimumDetectable(noise, baseline, trials, options) <= threshold)
                return Refine(trials);
        }
        return null;

        // The loop steps by 5% once counts are large; walk back to the smallest count that is enough.
        int Refine(int enough)
        {
            while (enough - 1 > candidate && RobustStatistics.MinimumAttainableP(baseline, enough - 1) < options.Alpha
                && MinimumDetectable(noise, baseline, enough - 1, options) <= threshold)
                enough--;
            return enough;
        }
    }

    private static double[] Finite(IReadOnlyList<double> values, string name)
    {
        if (values.Count == 0)
            throw new ArgumentException("At least one trial is needed.", name);
        var copy = new double[values.Count];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = values[i];
            if (!double.IsFinite(copy[i]))
                throw new ArgumentException($"Trial {i} is not a finite number.", name);
        }
        return copy;
    }

    private static string Percent(double fraction, bool signed = true) =>
        (signed && fraction > 0 ? "+" : "") + (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
