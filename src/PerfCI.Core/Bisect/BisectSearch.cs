using System.Globalization;
using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;

namespace PerfCI.Core.Bisect;

/// <summary>
/// Bisect with a statistical stopping rule, like Chromium's Pinpoint: measure both ends first and
/// confirm they differ (the "sandwich"); then classify candidates as same-as-good or same-as-bad with
/// Mann-Whitney tests against the samples of each side, doubling an undecided commit's trials up to a
/// cap; skip commits that failed like <c>git bisect skip</c>; measure several candidates at once when
/// asked (k-ary split).
/// <para>
/// The state is only the trials recorded per commit (and which commits were skipped): <see cref="Next"/>
/// replays the whole search from them every time, so the order results arrive in does not matter and a
/// server that stored every step can rebuild the same search after a restart.
/// </para>
/// </summary>
public sealed class BisectSearch
{
    private readonly BisectRange _range;
    private readonly BisectSettings _settings;
    private readonly ComparisonOptions _comparison;
    private readonly ComparisonOptions _candidateComparison;
    private readonly Dictionary<string, CommitData> _data = new(StringComparer.Ordinal);
    private readonly List<string> _firstSeen = [];
    private readonly Dictionary<string, Classification> _classified = new(StringComparer.Ordinal);
    private Evaluation? _evaluation;

    public BisectSearch(BisectRange range, BisectSettings settings)
    {
        ArgumentNullException.ThrowIfNull(range);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _range = range;
        _settings = settings;
        _comparison = new ComparisonOptions
        {
            Direction = settings.Direction,
            Alpha = settings.Alpha,
            Threshold = settings.MinRelativeChange,
            MaxTrials = Math.Max(2, settings.MaxTrials),
        };
        // A candidate is looked at after each doubling of its trials, and a bisect decides about ten of
        // them, any one wrong decision sending it astray: each look tests at Alpha over the number of looks.
        var looks = 1 + (int)Math.Ceiling(Math.Log2(settings.MaxTrials / (double)settings.InitialTrials));
        _candidateComparison = _comparison with { Alpha = settings.Alpha / looks };
    }

    public BisectRange Range => _range;

    public BisectSettings Settings => _settings;

    /// <summary>Adds trials at a commit; trials recorded again at the same commit accumulate.</summary>
    public void Record(string sha, IReadOnlyList<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var data = DataFor(sha);
        if (samples.Count == 0)
            throw new ArgumentException("A measurement needs at least one trial; report a failed one with Skip.", nameof(samples));
        foreach (var sample in samples)
        {
            if (!double.IsFinite(sample))
                throw new ArgumentException($"A trial of {sha} is not a finite number.", nameof(samples));
        }
        data.Samples.AddRange(samples);
        _evaluation = null;
    }

    /// <summary>The commit failed to build or run: leave it out, as <c>git bisect skip</c>.</summary>
    public void Skip(string sha, string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        DataFor(sha).SkipReason = reason;
        _evaluation = null;
    }

    /// <summary>What to measure next, or the outcome; a function of what was recorded only.</summary>
    public BisectNext Next() => Evaluate().Next;

    /// <summary>Every commit measured or skipped, in the order first seen, with its current decision.</summary>
    public IReadOnlyList<BisectStepResult> Steps
    {
        get
        {
            var evaluation = Evaluate();
            return [.. _firstSeen.Select(sha =>
            {
                var data = _data[sha];
                var verdict = evaluation.Verdicts.TryGetValue(sha, out var known)
                    ? known
                    : data.SkipReason is { } skipped ? new StepVerdict(BisectDecision.Skipped, null, skipped) : new StepVerdict(BisectDecision.Pending, null, null);
                return new BisectStepResult(sha, data.Samples.ToArray(), verdict.Decision, verdict.PValue, verdict.Reason);
            })];
        }
    }

    private CommitData DataFor(string sha)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sha);
        if (!_range.Contains(sha))
            throw new ArgumentException($"Commit {sha} is not in the range being bisected.", nameof(sha));
        if (!_data.TryGetValue(sha, out var data))
        {
            data = new CommitData();
            _data[sha] = data;
            _firstSeen.Add(sha);
        }
        return data;
    }

    private Evaluation Evaluate() => _evaluation ??= new Walk(this).Run();

    private sealed class CommitData
    {
        public List<double> Samples { get; } = [];

        public string? SkipReason { get; set; }
    }

    /// <summary>
    /// A commit is called the same as one side only when it also looks like that side: a test against
    /// it far from significant, or a median within a quarter of the gap between the sides (with little
    /// noise a drift of a percent is significant, yet plainly not the change). Otherwise a commit that
    /// differs from one side gets more trials first; the last look at MaxTrials goes without it.
    /// </summary>
    private const double SameLevel = 0.25;

    private sealed record StepVerdict(BisectDecision Decision, double? PValue, string? Reason);

    private sealed record Evaluation(BisectNext Next, Dictionary<string, StepVerdict> Verdicts);

    private enum Side
    {
        Undecided,
        Good,
        Bad,
    }

    private sealed record Classification(Side Side, double PValue, string Reason);

    /// <summary>The samples of every commit decided to be on one side; <see cref="Key"/> names its content.</summary>
    private sealed class Pool
    {
        private readonly System.Text.StringBuilder _key = new();

        public List<double> Samples { get; } = [];

        public string Key => _key.ToString();

        public void Add(string sha, List<double> samples)
        {
            Samples.AddRange(samples);
            _key.Append(sha).Append(':').Append(samples.Count).Append(';');
        }
    }

    /// <summary>One replay of the search from the recorded data.</summary>
    private sealed class Walk(BisectSearch search)
    {
        private readonly BisectRange _range = search._range;
        private readonly BisectSettings _settings = search._settings;
        private readonly Dictionary<string, StepVerdict> _verdicts = new(StringComparer.Ordinal);
        private readonly Pool _goodPool = new();
        private readonly Pool _badPool = new();

        public Evaluation Run() => new(Search(), _verdicts);

        private List<double> SamplesOf(string sha) => search._data.TryGetValue(sha, out var data) ? data.Samples : [];

        private string? SkipReasonOf(string sha) => search._data.TryGetValue(sha, out var data) ? data.SkipReason : null;

        private int MeasuredCount => search._data.Count;

        /// <summary>Trials to add so that an undecided commit reaches the next doubling, capped.</summary>
        private int MoreTrials(int count) =>
            count >= _settings.MaxTrials ? 0 : Math.Min(_settings.MaxTrials, Math.Max(_settings.InitialTrials, 2 * count)) - count;

        private BisectNext Search()
        {
            var good = _range.Good;
            var bad = _range.Bad;
            if (SkipReasonOf(good) is not null || SkipReasonOf(bad) is not null)
            {
                var which = SkipReasonOf(good) is not null ? good : bad;
                _verdicts[which] = new StepVerdict(BisectDecision.Skipped, null, SkipReasonOf(which));
                return Finish(BisectOutcomeKind.Range, null, good, bad, [.. _range.Candidates, bad],
                    $"The {(which == good ? "good" : "bad")} end {Short(which)} could not be measured ({SkipReasonOf(which)}), so nothing can be compared with it.",
                    null);
            }

            // The sandwich: both ends, until they differ significantly or the trials are capped.
            var goodSamples = SamplesOf(good);
            var badSamples = SamplesOf(bad);
            if (goodSamples.Count < _settings.InitialTrials || badSamples.Count < _settings.InitialTrials)
            {
                return new MeasureCommits([.. new[] { (good, goodSamples.Count), (bad, badSamples.Count) }
                    .Where(end => end.Item2 < _settings.InitialTrials)
                    .Select(end => new MeasureRequest(end.Item1, _settings.InitialTrials - end.Item2))]);
            }
            var ends = PairComparer.Compare(goodSamples, badSamples, search._comparison);
            var endsText = Invariant($"{Percent(ends.Shift)} ({Percent(ends.ShiftLower)} to {Percent(ends.ShiftUpper)}), p = {ends.PValue:G2}, {goodSamples.Count} vs {badSamples.Count} trials");
            if (ends.Verdict is Verdict.Inconclusive || (IsChange(ends) && !Reproduced(goodSamples, badSamples)))
            {
                var more = new[] { (good, goodSamples.Count), (bad, badSamples.Count) }
                    .Where(end => MoreTrials(end.Item2) > 0)
                    .Select(end => new MeasureRequest(end.Item1, MoreTrials(end.Item2)))
                    .ToArray();
                if (more.Length > 0)
                    return new MeasureCommits(more);
            }
            if (ends.Verdict is Verdict.Inconclusive or Verdict.NoChange)
            {
                var decision = ends.Verdict == Verdict.NoChange ? BisectDecision.SameAsGood : BisectDecision.Unknown;
                _verdicts[good] = new StepVerdict(BisectDecision.SameAsGood, ends.PValue, "The good end.");
                _verdicts[bad] = new StepVerdict(decision, ends.PValue, $"The bad end does not differ reproducibly from the good end: {endsText}.");
                var why = ends.Verdict == Verdict.NoChange
                    ? $"The good and bad ends do not differ: {ends.Reason}"
                    : $"No difference between the good and bad ends could be confirmed with {_settings.MaxTrials} trials each: {ends.Reason}";
                return Finish(BisectOutcomeKind.NoDifference, null, good, bad, [.. _range.Candidates, bad],
                    $"{why} No commit is blamed.", ends);
            }
            var change = ends.Verdict == Verdict.Regression ? "a regression" : "an improvement";
            _verdicts[good] = new StepVerdict(BisectDecision.SameAsGood, ends.PValue, "The good end.");
            _verdicts[bad] = new StepVerdict(BisectDecision.SameAsBad, ends.PValue, $"The bad end: {change} of {endsText} against the good end.");
            _goodPool.Add(good, goodSamples);
            _badPool.Add(bad, badSamples);

            // The bisection proper: narrow the set of commits that may hold the change.
            var remaining = CommitSet.All(_range.Candidates.Count);
            var excluded = new CommitSet(_range.Candidates.Count);
            var firstBad = -1; // the bad end
            var goods = new List<int>();
            var picked = 2;
            while (true)
            {
                var pickable = remaining.Clone();
                pickable.ExceptWith(excluded);
                if (pickable.IsEmpty)
                    return Narrowed(remaining, firstBad, goods);
                var k = Math.Min(Math.Min(_settings.Parallelism, _settings.MaxMeasuredCommits - picked), pickable.Count);
                if (k <= 0)
                {
                    return Finish(BisectOutcomeKind.BudgetExhausted, null, LastGood(firstBad, goods), Sha(firstBad), RangeOf(remaining, firstBad),
                        $"The budget of {_settings.MaxMeasuredCommits} measured commits ran out with {remaining.Count + 1} commits left.", Magnitude());
                }
                var batch = Pick(remaining, pickable, k);
                picked += batch.Count;
                var requests = new List<MeasureRequest>();
                var sides = new List<(int Candidate, Side Side)>();
                foreach (var candidate in batch)
                {
                    var sha = _range.Candidates[candidate];
                    if (SkipReasonOf(sha) is { } reason)
                    {
                        _verdicts[sha] = new StepVerdict(BisectDecision.Skipped, null, reason);
                        excluded.Add(candidate);
                        continue;
                    }
                    var samples = SamplesOf(sha);
                    if (samples.Count == 0)
                    {
                        requests.Add(new MeasureRequest(sha, _settings.InitialTrials));
                        continue;
                    }
                    var classification = Classify(sha, samples);
                    if (classification.Side == Side.Undecided)
                    {
                        if (MoreTrials(samples.Count) > 0)
                        {
                            _verdicts[sha] = new StepVerdict(BisectDecision.Pending, classification.PValue, classification.Reason);
                            requests.Add(new MeasureRequest(sha, MoreTrials(samples.Count)));
                        }
                        else
                        {
                            _verdicts[sha] = new StepVerdict(BisectDecision.Unknown, classification.PValue,
                                $"Undecided after {samples.Count} trials: {classification.Reason}");
                            excluded.Add(candidate);
                        }
                        continue;
                    }
                    _verdicts[sha] = new StepVerdict(classification.Side == Side.Good ? BisectDecision.SameAsGood : BisectDecision.SameAsBad,
                        classification.PValue, classification.Reason);
                    sides.Add((candidate, classification.Side));
                }
                if (requests.Count > 0)
                    return new MeasureCommits(requests);

                // Every commit of the batch is decided against the same pools, then the set shrinks.
                var before = remaining.Clone();
                var batchFirstBad = -1;
                foreach (var (candidate, side) in sides)
                {
                    var samples = SamplesOf(_range.Candidates[candidate]);
                    var ancestors = _range.AncestorsOf(candidate);
                    if (side == Side.Good)
                    {
                        remaining.ExceptWith(ancestors);
                        goods.Add(candidate);
                        _goodPool.Add(_range.Candidates[candidate], samples);
                    }
                    else
                    {
                        remaining.IntersectWith(ancestors);
                        remaining.Remove(candidate);
                        // Every commit of the batch lies below the current first bad one. With several bad
                        // ones the culprit lies below all of them; the one with the fewest candidates
                        // below it is the new first bad.
                        if (batchFirstBad < 0 || ancestors.CountIntersection(before) < _range.AncestorsOf(batchFirstBad).CountIntersection(before))
                            batchFirstBad = candidate;
                        _badPool.Add(_range.Candidates[candidate], samples);
                    }
                }
                if (batchFirstBad >= 0)
                    firstBad = batchFirstBad;
            }
        }

        /// <summary>
        /// The sandwich stops at the first look where the ends differ, which picks the looks where noise
        /// made the difference look larger (and, with no difference at all, the lucky ones). So a
        /// difference counts only when it held at the previous look too (the first half of the trials,
        /// as trials only accumulate), or when the trials are at their cap.
        /// </summary>
        private bool Reproduced(List<double> good, List<double> bad)
        {
            if (good.Count >= _settings.MaxTrials && bad.Count >= _settings.MaxTrials)
                return true;
            var earlier = PairComparer.Compare(good[..Math.Max(1, good.Count / 2)], bad[..Math.Max(1, bad.Count / 2)], search._comparison);
            return IsChange(earlier);
        }

        private static bool IsChange(Comparison comparison) => comparison.Verdict is Verdict.Regression or Verdict.Improvement;

        /// <summary>
        /// Commits whose ancestor counts in the set are closest to evenly spaced targets: with k = 1 the
        /// commit that best halves the possible culprits (the set's commits and the bad end), as git
        /// bisect does; on a linear range, k commits evenly spaced. Skipped and undecidable commits count
        /// in the set but are never picked, so their neighbours are.
        /// </summary>
        private List<int> Pick(CommitSet remaining, CommitSet pickable, int k)
        {
            var counts = _range.AncestorCounts(remaining);
            var possible = remaining.Count + 1;
            var chosen = new List<int>(k);
            for (var j = 1; j <= k; j++)
            {
                var target = j * possible / (double)(k + 1);
                var best = -1;
                var bestDistance = double.MaxValue;
                foreach (var candidate in pickable.Members())
                {
                    if (chosen.Contains(candidate))
                        continue;
                    var distance = Math.Abs(counts[candidate] - target);
                    if (distance < bestDistance || (distance == bestDistance && counts[candidate] < counts[best]))
                        (best, bestDistance) = (candidate, distance);
                }
                chosen.Add(best);
            }
            chosen.Sort();
            return chosen;
        }

        /// <summary>
        /// Same-as-good when the commit differs significantly from the bad side and not from the good
        /// side, and the other way round; when it differs from both, the nearer side by median.
        /// </summary>
        private Classification Classify(string sha, List<double> samples)
        {
            var key = $"{sha}:{samples.Count}|{_goodPool.Key}|{_badPool.Key}";
            if (search._classified.TryGetValue(key, out var known))
                return known;
            var vsGood = PairComparer.Compare(_goodPool.Samples, samples, search._candidateComparison);
            var vsBad = PairComparer.Compare(_badPool.Samples, samples, search._candidateComparison);
            var differsFromGood = vsGood.Verdict is Verdict.Regression or Verdict.Improvement;
            var differsFromBad = vsBad.Verdict is Verdict.Regression or Verdict.Improvement;
            var gap = vsBad.BaselineMedian - vsGood.BaselineMedian;
            var position = gap == 0 ? 0.5 : (vsGood.CandidateMedian - vsGood.BaselineMedian) / gap;
            var last = samples.Count >= _settings.MaxTrials;
            var likeBad = vsBad.PValue >= SameLevel || last || Math.Abs(position - 1) <= 0.25;
            var likeGood = vsGood.PValue >= SameLevel || last || Math.Abs(position) <= 0.25;
            var side = (differsFromGood, differsFromBad) switch
            {
                (true, true) => position >= 0.5 ? Side.Bad : Side.Good,
                (true, false) => position >= 0.5 && likeBad ? Side.Bad : Side.Undecided,
                (false, true) => position < 0.5 && likeGood ? Side.Good : Side.Undecided,
                _ => Side.Undecided,
            };
            var p = side switch
            {
                Side.Bad => vsGood.PValue,
                Side.Good => vsBad.PValue,
                _ => Math.Min(vsGood.PValue, vsBad.PValue),
            };
            var reason = Invariant($"against the good side {Percent(vsGood.Shift)} (p = {vsGood.PValue:G2}), against the bad side {Percent(vsBad.Shift)} (p = {vsBad.PValue:G2}), {samples.Count} trials");
            var classification = new Classification(side, p, reason);
            search._classified[key] = classification;
            return classification;
        }

        private BisectFinished Narrowed(CommitSet remaining, int firstBad, List<int> goods)
        {
            var lastGood = LastGood(firstBad, goods);
            var culprit = Sha(firstBad);
            var magnitude = Magnitude();
            var size = Invariant($"{Percent(magnitude.Shift)} ({Percent(magnitude.ShiftLower)} to {Percent(magnitude.ShiftUpper)})");
            if (remaining.IsEmpty)
            {
                return Finish(BisectOutcomeKind.Culprit, culprit, lastGood, culprit, [culprit],
                    $"{Short(culprit)} is the first commit that matches the bad end; {Short(lastGood)} before it matches the good end. The bad side differs from the good side by {size}.",
                    magnitude);
            }
            var left = remaining.Members().Select(i => _range.Candidates[i]).ToList();
            var skipped = left.Where(sha => SkipReasonOf(sha) is not null).Select(sha => $"{Short(sha)} ({SkipReasonOf(sha)})").ToList();
            var unknown = left.Where(sha => SkipReasonOf(sha) is null).Select(Short).ToList();
            var why = new List<string>();
            if (skipped.Count > 0)
                why.Add($"skipped {string.Join(", ", skipped)}");
            if (unknown.Count > 0)
                why.Add($"could not tell apart with {_settings.MaxTrials} trials: {string.Join(", ", unknown)}");
            return Finish(BisectOutcomeKind.Range, null, lastGood, culprit, [.. left, culprit],
                $"The change is in one of {left.Count + 1} commits after {Short(lastGood)} up to {Short(culprit)}: {string.Join("; ", why)}. The bad side differs from the good side by {size}.",
                magnitude);
        }

        /// <summary>The bad side against the good side: every trial of the commits decided for each side.</summary>
        private Comparison Magnitude() => PairComparer.Compare(_goodPool.Samples, _badPool.Samples, search._comparison);

        /// <summary>The latest commit decided good that is an ancestor of the first bad one; else the good end.</summary>
        private string LastGood(int firstBad, List<int> goods)
        {
            var below = firstBad < 0 ? null : _range.AncestorsOf(firstBad);
            var best = goods.Where(g => below is null || below.Contains(g)).DefaultIfEmpty(-1).Max();
            return Sha(best, _range.Good);
        }

        private string Sha(int candidate, string? end = null) => candidate < 0 ? end ?? _range.Bad : _range.Candidates[candidate];

        private List<string> RangeOf(CommitSet remaining, int firstBad) => [.. remaining.Members().Select(i => _range.Candidates[i]), Sha(firstBad)];

        private BisectFinished Finish(BisectOutcomeKind kind, string? culprit, string lastGood, string firstBad, List<string> range, string reason, Comparison? magnitude) =>
            new(new BisectOutcome(kind, culprit, lastGood, firstBad, range, reason,
                magnitude?.Shift, magnitude?.ShiftLower, magnitude?.ShiftUpper, MeasuredCount));
    }

    private static string Short(string sha) => sha.Length > 12 ? sha[..12] : sha;

    private static string Percent(double fraction) =>
        (fraction > 0 ? "+" : "") + (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
