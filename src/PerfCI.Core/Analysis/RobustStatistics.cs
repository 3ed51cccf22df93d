using Perfolizer.Mathematics.Distributions.ContinuousDistributions;
using Perfolizer.Mathematics.SignificanceTesting.Base;
using Perfolizer.Mathematics.SignificanceTesting.MannWhitney;
using Perfolizer.Metrology;
using Pragmastat;
using Pragmastat.Algorithms;

namespace PerfCI.Core.Analysis;

/// <summary>A shift between two samples (second minus first) with its confidence interval.</summary>
internal readonly record struct ShiftEstimate(double Estimate, double Lower, double Upper);

/// <summary>
/// The statistics both the series analysis and the pull-request comparison rest on, from Perfolizer
/// and Pragmastat: rank tests and pairwise-difference estimators, because benchmark noise is skewed,
/// has outliers and is sometimes bimodal, and a mean or a t-test follows every one of them.
/// </summary>
internal static class RobustStatistics
{
    /// <summary>Scales a median absolute deviation to a standard deviation under normal noise.</summary>
    public const double MadToSigma = 1.4826;

    /// <summary>
    /// Above 100 pairs the exact Mann-Whitney distribution (Loeffler's recurrence, quadratic in the pair
    /// count) costs a tenth of a millisecond a call and the Edgeworth expansion is already within 1e-4 of
    /// it; Perfolizer's binomial coefficients stop at 65 values in all anyway.
    /// </summary>
    private static bool UseExact(int n, int m) => (long)n * m <= 100 && n + m <= 65;

    public static double Median(ReadOnlySpan<double> values)
    {
        if (values.Length == 1)
            return values[0];
        Span<double> sorted = values.Length <= 64 ? stackalloc double[values.Length] : new double[values.Length];
        values.CopyTo(sorted);
        sorted.Sort();
        return MedianOfSorted(sorted);
    }

    public static double MedianOfSorted(ReadOnlySpan<double> sorted)
    {
        var half = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
    }

    /// <summary>
    /// Standard deviation of the noise pooled from two samples, each measured around its own median so
    /// that the shift between them does not count as noise; robust to the outliers a MAD ignores.
    /// </summary>
    public static double PooledScale(ReadOnlySpan<double> first, ReadOnlySpan<double> second)
    {
        var residuals = new double[first.Length + second.Length];
        var firstMedian = Median(first);
        var secondMedian = Median(second);
        for (var i = 0; i < first.Length; i++)
            residuals[i] = Math.Abs(first[i] - firstMedian);
        for (var i = 0; i < second.Length; i++)
            residuals[first.Length + i] = Math.Abs(second[i] - secondMedian);
        Array.Sort(residuals);
        // A median of residuals around medians is biased low for small samples (one residual is 0 by
        // construction in an odd sample); the n/(n-1) factor is the usual first-order correction.
        var count = residuals.Length;
        var correction = count > 2 ? count / (count - 1.0) : 1;
        return MadToSigma * MedianOfSorted(residuals) * correction;
    }

    /// <summary>Two-sided Mann-Whitney p-value of <paramref name="second"/> against <paramref name="first"/> (Perfolizer).</summary>
    public static double MannWhitneyP(double[] first, double[] second)
    {
        var strategy = UseExact(first.Length, second.Length) ? MannWhitneyStrategy.LoefflerExact : MannWhitneyStrategy.EdgeworthApprox;
        var result = MannWhitneyTest.Instance.PerformStrategy(new Sample(second), new Sample(first), AlternativeHypothesis.TwoSides, Threshold.Zero, strategy);
        // The Edgeworth tail rounds to 0 past complete separation; no sample of these sizes can do better
        // than that, so it is the honest floor.
        return Math.Clamp(result.PValue.Value, MinimumAttainableP(first.Length, second.Length), 1);
    }

    /// <summary>The smallest two-sided Mann-Whitney p-value samples of these sizes can reach (complete separation).</summary>
    public static double MinimumAttainableP(int first, int second)
    {
        // 2 / C(n+m, n), in logs so that large samples do not overflow.
        var log = Math.Log(2) - (LogFactorial(first + second) - LogFactorial(first) - LogFactorial(second));
        return Math.Min(1, Math.Exp(log));
    }

    /// <summary>
    /// The Hodges-Lehmann shift (median of all pairwise differences second - first, Pragmastat's Shift
    /// estimator) with Moses' distribution-free interval: the order statistics of those differences
    /// whose ranks are the Mann-Whitney critical values, so the interval and the test agree.
    /// </summary>
    public static ShiftEstimate Shift(double[] first, double[] second, double confidence)
    {
        long pairs = (long)first.Length * second.Length;
        var rank = LowerCriticalRank(first.Length, second.Length, 1 - confidence); // 1-based
        // FastShift.Estimate uses Hyndman-Fan type 7 over the sorted differences: rank r sits at (r-1)/(N-1).
        var span = Math.Max(1, pairs - 1);
        var lowerP = (rank - 1) / (double)span;
        var upperP = (pairs - rank) / (double)span;
        var quantiles = FastShift.Estimate(second, first, [lowerP, 0.5, upperP]);
        return new ShiftEstimate(quantiles[1], quantiles[0], quantiles[2]);
    }

    /// <summary>
    /// The largest k with P(U &lt; k) &lt;= alpha/2, at least 1: the interval is then [D(k), D(N+1-k)].
    /// With too few samples for the level even k = 1 overshoots; the interval is then the full range.
    /// </summary>
    private static long LowerCriticalRank(int n, int m, double alpha)
    {
        long pairs = (long)n * m;
        var exact = UseExact(n, m);
        IMannWhitneyCdf cdf = exact ? MannWhitneyLoefflerExactCdf.Instance : MannWhitneyEdgeworthApproxCdf.Instance;
        if (!exact)
        {
            // Start from the normal approximation and settle the exact rank with a few CDF evaluations.
            var sd = Math.Sqrt(pairs * (n + m + 1) / 12.0);
            var z = NormalDistribution.Standard.Quantile(1 - alpha / 2);
            var guess = (long)Math.Floor(pairs / 2.0 - z * sd);
            var k = Math.Max(1, guess);
            while (k > 1 && cdf.Cdf(n, m, (int)k) > alpha / 2)
                k--;
            while (k + 1 <= pairs / 2 && cdf.Cdf(n, m, (int)(k + 1)) <= alpha / 2)
                k++;
            return k;
        }
        long lo = 1, hi = Math.Max(1, pairs / 2);
        if (cdf.Cdf(n, m, 1) > alpha / 2)
            return 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (cdf.Cdf(n, m, (int)mid) <= alpha / 2)
                lo = mid;
            else
                hi = mid - 1;
        }
        return lo;
    }

    private static double LogFactorial(int n)
    {
        var sum = 0.0;
        for (var i = 2; i <= n; i++)
            sum += Math.Log(i);
        return sum;
    }
}
