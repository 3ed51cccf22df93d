using System.Runtime.InteropServices;
using PerfCI.Core.Domain;

namespace PerfCI.Core.Analysis;

/// <summary>
/// Change points of one series, kept up to date as points are appended.
/// <para>
/// Each point is reduced to the median of its trials (one slow trial does not move it; runs, not
/// trials, are the independent units). Three local steps follow, each looking at most a window away:
/// </para>
/// <list type="number">
/// <item>a scan: at every index, the next half-window of points against the previous one, by the
/// Mann-Whitney z (is there a shift at all?) and the E-divisive energy statistic (how well does a split
/// here separate them? it weighs distances, not only order, so it puts the split at the step and not at
/// an outlier next to it);</item>
/// <item>candidates: the indices where the energy statistic peaks within <see cref="ChangePointOptions.MinSegment"/>
/// points on either side and |z| is large enough;</item>
/// <item>verdicts, left to right: a candidate is a change when the points since the last change (at most
/// a window) and the points up to the next candidate (at most a window) differ significantly
/// (Mann-Whitney) by more than the floor (the configured threshold, and a multiple of the local noise).</item>
/// </list>
/// <para>
/// Because every decision reads a bounded stretch of the series, appending a point can only change the
/// last <see cref="ChangePointOptions.SettlingPoints"/> points' worth of results, and <see cref="Append"/>
/// recomputes just those: the result is always exactly what <see cref="ChangePointDetector.Detect"/> gives
/// on the whole series.
/// </para>
/// </summary>
public sealed class SeriesAnalyzer
{
    /// <summary>
    /// |z| a scan peak needs to be tried as a change. Low on purpose: the verdict is the real test, and a
    /// weak peak still marks where a short excursion (a bump reverted a few commits later) ends.
    /// </summary>
    private const double CandidateZ = 2.5;

    private readonly ChangePointOptions _options;
    private readonly List<string> _commits = [];
    private readonly List<double> _levels = [];
    private readonly List<double> _scores = [];
    private readonly List<double> _energies = [];
    private readonly List<int> _candidates = [];
    private readonly List<DetectedChange?> _verdicts = [];
    private DetectedChange[] _changes = [];

    public SeriesAnalyzer(ChangePointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    public SeriesAnalyzer(ChangePointOptions options, IEnumerable<SeriesPoint> series) : this(options) => AppendRange(series);

    public ChangePointOptions Options => _options;

    public int Count => _levels.Count;

    /// <summary>The change points, in index order.</summary>
    public IReadOnlyList<DetectedChange> Changes => _changes;

    /// <summary>Changes at an index below this are settled: no point appended later can alter them.</summary>
    public int SettledBefore => Math.Max(0, Count - _options.SettlingPoints);

    /// <summary>The point's level as the analysis sees it: the median of its trials.</summary>
    public double LevelAt(int index) => _levels[index];

    public void Append(SeriesPoint point) => AppendRange([point]);

    /// <summary>Appends points and brings the analysis up to date; a bad point rejects the whole batch.</summary>
    public void AppendRange(IEnumerable<SeriesPoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        // Checked before anything is stored, so that a bad point leaves the analysis as it was.
        var batch = new List<(string Commit, double Level)>();
        foreach (var point in points)
        {
            ArgumentNullException.ThrowIfNull(point);
            var position = Count + batch.Count;
            if (point.Samples is null || point.Samples.Count == 0)
                throw new ArgumentException($"Point {position} ({point.Commit}) has no samples.", nameof(points));
            var samples = new double[point.Samples.Count];
            for (var i = 0; i < samples.Length; i++)
            {
                samples[i] = point.Samples[i];
                if (!double.IsFinite(samples[i]))
                    throw new ArgumentException($"Point {position} ({point.Commit}) has a sample that is not a finite number.", nameof(points));
            }
            batch.Add((point.Commit ?? "", RobustStatistics.Median(samples)));
        }
        if (batch.Count == 0)
            return;
        var oldCount = Count;
        foreach (var (commit, level) in batch)
        {
            _commits.Add(commit);
            _levels.Add(level);
        }
        Update(oldCount);
    }

    /// <summary>Recomputes everything a point at or after <paramref name="oldCount"/> can have touched.</summary>
    private void Update(int oldCount)
    {
        var half = _options.ScanHalfWidth;
        var radius = _options.MinSegment;

        // 1. Scores read half a window on each side: those whose right half ran past the old end change.
        var scoreFrom = Math.Max(0, oldCount - half);
        _scores.RemoveRange(scoreFrom, _scores.Count - scoreFrom);
        _energies.RemoveRange(scoreFrom, _energies.Count - scoreFrom);
        for (var i = scoreFrom; i < Count; i++)
        {
            var (z, energy) = Score(i);
            _scores.Add(z);
            _energies.Add(energy);
        }

        // 2. A candidate is a local maximum within the radius: those near a changed score change.
        var candidateFrom = Math.Max(0, scoreFrom - radius);
        var firstChanged = FirstCandidateAtOrAfter(candidateFrom);
        // 3. A verdict reads the previous change, the next candidate and up to a window of points: redo it
        //    for the candidate before the first changed one, for any whose window reached the old end, and
        //    (since each verdict depends on the last change before it) for every one after those.
        var verdictFrom = Math.Min(Math.Max(0, firstChanged - 1), FirstCandidateAtOrAfter(oldCount - _options.Window + 1));
        _candidates.RemoveRange(firstChanged, _candidates.Count - firstChanged);
        for (var i = candidateFrom; i < Count; i++)
        {
            if (IsCandidate(i))
                _candidates.Add(i);
        }

        _verdicts.RemoveRange(verdictFrom, _verdicts.Count - verdictFrom);
        var lastChange = -1;
        for (var k = verdictFrom - 1; k >= 0; k--)
        {
            if (_verdicts[k] is { } earlier)
            {
                lastChange = earlier.Index;
                break;
            }
        }
        for (var k = verdictFrom; k < _candidates.Count; k++)
        {
            var verdict = Judge(k, lastChange);
            _verdicts.Add(verdict);
            if (verdict is not null)
                lastChange = verdict.Index;
        }
        _changes = [.. _verdicts.OfType<DetectedChange>()];
    }

    private int FirstCandidateAtOrAfter(int index)
    {
        var position = _candidates.BinarySearch(index);
        return position >= 0 ? position : ~position;
    }

    /// <summary>The forced segment (split at an accepted step) that holds an index.</summary>
    private (int Start, int End) SegmentOf(int index) => _options.BaselineStart is { } accepted && accepted > 0 && accepted < Count
        ? index < accepted ? (0, accepted) : (accepted, Count)
        : (0, Count);

    /// <summary>
    /// The half-window from <paramref name="index"/> on against the half-window before it: the signed
    /// Mann-Whitney z (positive: the level went up; of MinSegment points a side when that is stronger)
    /// and the E-divisive statistic (alpha = 1); NaN where either side has fewer than MinSegment points.
    /// </summary>
    private (double Z, double Energy) Score(int index)
    {
        var (start, end) = SegmentOf(index);
        var half = _options.ScanHalfWidth;
        var left = Math.Max(start, index - half);
        var right = Math.Min(end, index + half);
        var n = index - left;
        var m = right - index;
        if (n < _options.MinSegment || m < _options.MinSegment)
            return (double.NaN, double.NaN);
        // Quadratic in the half-window on purpose: a sliding update would be linear, but its rounding
        // would depend on where the slide started, and an appended point must give bit-for-bit the
        // result of analysing the whole series again.
        var levels = CollectionsMarshal.AsSpan(_levels);
        var beforeSide = levels[left..index];
        var afterSide = levels[index..right];
        double u = 0, between = 0, withinBefore = 0, withinAfter = 0;
        for (var i = 0; i < beforeSide.Length; i++)
        {
            var before = beforeSide[i];
            foreach (var after in afterSide)
            {
                if (after > before)
                    u += 1;
                else if (after == before)
                    u += 0.5;
                between += Math.Abs(after - before);
            }
            for (var k = i + 1; k < beforeSide.Length; k++)
                withinBefore += Math.Abs(beforeSide[k] - before);
        }
        for (var j = 0; j < afterSide.Length; j++)
        {
            for (var l = j + 1; l < afterSide.Length; l++)
                withinAfter += Math.Abs(afterSide[l] - afterSide[j]);
        }
        var pairs = (double)n * m;
        var z = MannWhitneyZ(u, n, m);
        var energy = 2 * between / pairs - withinBefore / (n * (n - 1) / 2.0) - withinAfter / (m * (m - 1) / 2.0);

        // A short excursion (a regression reverted a few commits later) hardly moves the ranks of a
        // half-window: eight points of fifteen reach only z = 2.5. MinSegment points a side do: their
        // complete separation alone is z = 2.6, and it happens by chance at fewer than 1% of indices.
        var shortBefore = levels[Math.Max(left, index - _options.MinSegment)..index];
        var shortAfter = levels[index..Math.Min(right, index + _options.MinSegment)];
        double shortU = 0, shortBetween = 0, shortWithinBefore = 0, shortWithinAfter = 0;
        for (var i = 0; i < shortBefore.Length; i++)
        {
            var before = shortBefore[i];
            foreach (var after in shortAfter)
            {
                shortU += after > before ? 1 : after == before ? 0.5 : 0;
                shortBetween += Math.Abs(after - before);
            }
            for (var k = i + 1; k < shortBefore.Length; k++)
                shortWithinBefore += Math.Abs(shortBefore[k] - before);
        }
        for (var j = 0; j < shortAfter.Length; j++)
        {
            for (var l = j + 1; l < shortAfter.Length; l++)
                shortWithinAfter += Math.Abs(shortAfter[l] - shortAfter[j]);
        }
        var (sn, sm) = (shortBefore.Length, shortAfter.Length);
        var shortZ = MannWhitneyZ(shortU, sn, sm);
        // The energy distance at both scales, summed: the half-window's averages out noise and places a
        // step well; the short one is sharp at the edges of an excursion shorter than the half-window.
        energy += 2 * shortBetween / (sn * sm) - shortWithinBefore / (sn * (sn - 1) / 2.0) - shortWithinAfter / (sm * (sm - 1) / 2.0);
        return (Math.Abs(shortZ) > Math.Abs(z) ? shortZ : z, energy);
    }

    private static double MannWhitneyZ(double u, int n, int m)
    {
        var pairs = (double)n * m;
        return (u - pairs / 2) / Math.Sqrt(pairs * (n + m + 1) / 12);
    }

    private bool IsCandidate(int index)
    {
        var score = _scores[index];
        if (double.IsNaN(score) || Math.Abs(score) < CandidateZ)
            return false;
        var (start, end) = SegmentOf(index);
        var radius = _options.MinSegment;
        for (var other = Math.Max(start, index - radius); other < Math.Min(end, index + radius + 1); other++)
        {
            if (other != index && !double.IsNaN(_scores[other]) && Beats(other, index))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Whether the split at <paramref name="a"/> outranks the one at <paramref name="b"/>: the larger
    /// energy; then the larger |z|; then the earlier index, so that the outcome never depends on the
    /// order of evaluation.
    /// </summary>
    private bool Beats(int a, int b)
    {
        if (_energies[a] != _energies[b])
            return _energies[a] > _energies[b];
        var za = Math.Abs(_scores[a]);
        var zb = Math.Abs(_scores[b]);
        return za != zb ? za > zb : a < b;
    }

    private DetectedChange? Judge(int candidate, int lastChange)
    {
        var index = _candidates[candidate];
        var (start, end) = SegmentOf(index);
        var window = _options.Window;
        var from = Math.Max(Math.Max(start, index - window), lastChange);
        var to = Math.Min(end, index + window);
        if (candidate + 1 < _candidates.Count)
            to = Math.Min(to, _candidates[candidate + 1]);
        return Verdict(_levels, _commits, index, from, to, _options);
    }

    /// <summary>
    /// The verdict on a change at <paramref name="index"/> between the points [from, index) and
    /// [index, to): significant by Mann-Whitney (paying Bonferroni for the scan's choice of position)
    /// and at least the floor by Hodges-Lehmann. Shared with the detectors the benchmarks compare.
    /// </summary>
    internal static DetectedChange? Verdict(List<double> levels, IReadOnlyList<string> commits, int index, int from, int to, ChangePointOptions options)
    {
        if (index - from < options.MinSegment || to - index < options.MinSegment)
            return null;
        var before = levels.GetRange(from, index - from).ToArray();
        var after = levels.GetRange(index, to - index).ToArray();
        var reference = Reference(before, after);
        var shift = RobustStatistics.Shift(before, after, options.ConfidenceLevel);
        var magnitude = shift.Estimate / reference;
        var noise = RobustStatistics.PooledScale(before, after) / reference;
        var floor = Math.Max(options.Threshold ?? 0, options.NoiseMultiplier * noise);
        if (magnitude == 0 || Math.Abs(magnitude) < floor)
            return null;
        // The scan chose this index as the best of the 2 x MinSegment + 1 around it, which makes a raw
        // p-value look better than it is; Bonferroni over those positions pays for the choice.
        var p = Math.Min(1, RobustStatistics.MannWhitneyP(before, after) * (2 * options.MinSegment + 1));
        if (p >= options.PValue)
            return null;

        var worse = options.Direction == MetricDirection.LowerIsBetter ? magnitude > 0 : magnitude < 0;
        return new DetectedChange(
            index, commits[index], index > 0 ? commits[index - 1] : null,
            magnitude, shift.Lower / reference, shift.Upper / reference, p,
            worse ? ChangeKind.Regression : ChangeKind.Improvement,
            Summarize(from, before), Summarize(index, after), noise);
    }

    /// <summary>The level relative shifts are expressed against: the old level, unless it is zero.</summary>
    private static double Reference(double[] before, double[] after)
    {
        var level = Math.Abs(RobustStatistics.Median(before));
        if (level > 0)
            return level;
        level = Math.Abs(RobustStatistics.Median(after));
        return level > 0 ? level : 1;
    }

    private static SegmentSummary Summarize(int start, double[] levels)
    {
        var mean = levels.Average();
        var variance = levels.Length > 1 ? levels.Sum(v => (v - mean) * (v - mean)) / (levels.Length - 1) : 0;
        var stdDev = Math.Sqrt(variance);
        return new SegmentSummary(start, start + levels.Length, levels.Length, mean, RobustStatistics.Median(levels), stdDev, mean != 0 ? stdDev / Math.Abs(mean) : 0);
    }
}
