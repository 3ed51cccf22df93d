using PerfCI.Core.Bisect;
using PerfCI.Core.Domain;

namespace PerfCI.Core.Tests.Bisect;

public sealed class BisectSearchTests(ITestOutputHelper output)
{
    private static readonly BisectSettings Latency = new() { Direction = MetricDirection.LowerIsBetter };

    [Theory]
    [InlineData(64, 200)]
    [InlineData(1000, 200)]
    public void FirstParent_FindsTheCulprit_InAboutLog2MeasuredCommits_OnAverage(int commits, int seeds)
    {
        var measured = new List<int>();
        var correct = 0;
        var wrongCulprit = 0;
        var rangeWithCulprit = 0;
        var trials = 0L;
        var wrong = new List<string>();
        for (var seed = 1; seed <= seeds; seed++)
        {
            var (synthetic, settings) = SyntheticBisect.Random(commits, seed);
            var outcome = synthetic.Run(new BisectSearch(BisectRange.FirstParent(synthetic.Shas), settings));
            measured.Add(outcome.MeasuredCommits);
            trials += synthetic.Trials;
            if (outcome.Kind == BisectOutcomeKind.Culprit && outcome.Culprit == synthetic.CulpritSha)
                correct++;
            else
                wrong.Add($"seed {seed}: step {synthetic.Step:P1}, cv {synthetic.Cv:P1}: {outcome.Kind} {outcome.Culprit} (culprit {synthetic.CulpritSha}): {outcome.Reason}");

            if (outcome.Kind == BisectOutcomeKind.Culprit && outcome.Culprit != synthetic.CulpritSha)
                wrongCulprit++;
            if (outcome.Kind != BisectOutcomeKind.Culprit && outcome.RemainingRange.Contains(synthetic.CulpritSha))
                rangeWithCulprit++;
        }

        var average = measured.Average();
        var bound = Math.Ceiling(Math.Log2(commits)) + 3;
        var rate = correct / (double)seeds;
        output.WriteLine($"n = {commits}, {seeds} seeds: {average:F2} measured commits on average (bound {bound}), max {measured.Max()}, culprit named {rate:P1}, a wrong culprit {wrongCulprit}, a range holding the culprit {rangeWithCulprit}, {trials / (double)seeds:F0} trials per bisect");
        foreach (var line in wrong)
            output.WriteLine(line);
        Assert.True(average <= bound, $"{average:F2} measured commits on average, more than {bound}.");
        Assert.True(rate >= 0.95, $"Only {rate:P1} of the bisects named the culprit.");
        Assert.True(wrongCulprit <= seeds * 0.04, $"{wrongCulprit} bisects named a wrong culprit.");
    }

    private static readonly string[] Failing = ["c0031", "c0032", "c0038", "c0042", "c0047"];

    [Fact]
    public void BuildFailures_AreSkipped_AndTheCulpritStillFound()
    {
        var found = 0;
        for (var seed = 1; seed <= 20; seed++)
        {
            // Failing commits where the first picks would land and near the culprit (index 40), though
            // not next to it: a skipped neighbour would leave two commits that no measurement can split.
            var synthetic = new SyntheticBisect(64, 40, 0.06, 0.02, seed, failing: Failing);
            var search = new BisectSearch(BisectRange.FirstParent(synthetic.Shas), Latency);

            var outcome = synthetic.Run(search);

            Assert.Contains(search.Steps, step => step.Decision == BisectDecision.Skipped);
            Assert.All(search.Steps.Where(s => Failing.Contains(s.Sha)),
                step => Assert.Equal((BisectDecision.Skipped, "build failed"), (step.Decision, step.Reason)));
            if (outcome.Kind == BisectOutcomeKind.Culprit && outcome.Culprit == "c0040")
                found++;
            Assert.NotEqual(BisectOutcomeKind.NoDifference, outcome.Kind);
        }
        output.WriteLine($"with build failures: culprit found in {found} of 20 seeds");
        Assert.True(found >= 19, $"Found in only {found} of 20 seeds.");
    }

    [Fact]
    public void CulpritThatFailsToBuild_GivesTheRangeNamingTheSkippedCommits()
    {
        // The culprit and the commit before it do not build: the change is somewhere in 38..40.
        var synthetic = new SyntheticBisect(64, 40, 0.08, 0.01, seed: 5, failing: ["c0039", "c0040"]);
        var search = new BisectSearch(BisectRange.FirstParent(synthetic.Shas), Latency);

        var outcome = synthetic.Run(search);

        Assert.Equal(BisectOutcomeKind.Range, outcome.Kind);
        Assert.Null(outcome.Culprit);
        Assert.Equal("c0038", outcome.LastGood);
        Assert.Equal("c0041", outcome.FirstBad);
        Assert.Equal(["c0039", "c0040", "c0041"], outcome.RemainingRange);
        Assert.Contains("skipped c0039 (build failed), c0040 (build failed)", outcome.Reason, StringComparison.Ordinal);
        Assert.InRange(0.08, outcome.RelativeChangeLower!.Value, outcome.RelativeChangeUpper!.Value);
    }

    [Fact]
    public void NoRealDifference_StopsWithNoDifference_AndBlamesNoCommit()
    {
        var outcomes = new List<BisectOutcome>();
        for (var seed = 1; seed <= 40; seed++)
        {
            var synthetic = new SyntheticBisect(64, 64, 0, 0.01 + 0.04 * (seed % 5) / 4, seed);
            outcomes.Add(synthetic.Run(new BisectSearch(BisectRange.FirstParent(synthetic.Shas), Latency)));
        }

        var noDifference = outcomes.Count(o => o.Kind == BisectOutcomeKind.NoDifference);
        output.WriteLine($"no difference: {noDifference} of 40 say so, culprits named: {outcomes.Count(o => o.Culprit is not null)}, measured commits {outcomes.Average(o => o.MeasuredCommits):F2} on average");
        Assert.All(outcomes, o => Assert.Null(o.Culprit));
        Assert.True(noDifference >= 38, $"Only {noDifference} of 40 said there is no difference.");
        Assert.All(outcomes.Where(o => o.Kind == BisectOutcomeKind.NoDifference), o =>
        {
            Assert.Equal(2, o.MeasuredCommits);
            Assert.Contains("No commit is blamed", o.Reason, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void ChangeBelowMinRelativeChange_CountsAsNone()
    {
        var synthetic = new SyntheticBisect(64, 30, 0.02, 0.005, seed: 6);

        var outcome = synthetic.Run(new BisectSearch(BisectRange.FirstParent(synthetic.Shas), Latency with { MinRelativeChange = 0.05 }));

        Assert.Equal(BisectOutcomeKind.NoDifference, outcome.Kind);
        Assert.Contains("under the 5% threshold", outcome.Reason, StringComparison.Ordinal);
        Assert.InRange(outcome.RelativeChange!.Value, 0.015, 0.025);
    }

    [Fact]
    public void KAry_FindsTheCulprit_InFewerRounds()
    {
        var rounds = new Dictionary<int, List<int>> { [1] = [], [3] = [] };
        var correct = new Dictionary<int, int> { [1] = 0, [3] = 0 };
        for (var seed = 1; seed <= 50; seed++)
        {
            foreach (var k in new[] { 1, 3 })
            {
                var (synthetic, settings) = SyntheticBisect.Random(1000, seed);
                var outcome = synthetic.Run(new BisectSearch(BisectRange.FirstParent(synthetic.Shas), settings with { Parallelism = k }));
                rounds[k].Add(synthetic.Rounds);
                if (outcome.Culprit == synthetic.CulpritSha)
                    correct[k]++;
            }
        }

        output.WriteLine($"n = 1000, 50 seeds: {rounds[1].Average():F2} rounds with k = 1 ({correct[1]} correct), {rounds[3].Average():F2} with k = 3 ({correct[3]} correct)");
        Assert.True(rounds[3].Average() < 0.75 * rounds[1].Average(), $"k = 3 took {rounds[3].Average():F2} rounds against {rounds[1].Average():F2}.");
        Assert.True(correct[3] >= 47, $"k = 3 named the culprit in only {correct[3]} of 50.");
    }

    [Fact]
    public void KAry_MeasuresEvenlySpacedCandidatesAtOnce()
    {
        var range = BisectRange.FirstParent([.. Enumerable.Range(0, 17).Select(i => $"c{i:D4}")]);
        var search = new BisectSearch(range, Latency with { Parallelism = 3 });
        search.Record("c0000", [100, 101, 99, 100, 100.5, 99.5, 100.2, 99.8, 100.1, 99.9]);
        search.Record("c0016", [110, 111, 109, 110, 110.5, 109.5, 110.2, 109.8, 110.1, 109.9]);

        var next = Assert.IsType<MeasureCommits>(search.Next());

        Assert.Equal(["c0004", "c0008", "c0012"], next.Requests.Select(r => r.Sha));
    }

    [Fact]
    public void Replay_OfTheRecordedSteps_GivesTheSameNextAndSteps()
    {
        var (synthetic, settings) = SyntheticBisect.Random(1000, 11);
        settings = settings with { Parallelism = 2 };
        var original = new BisectSearch(BisectRange.FirstParent(synthetic.Shas), settings);
        for (var i = 0; i < 6 && original.Next() is MeasureCommits round; i++)
        {
            // Results of a round arrive in any order; record the last request first.
            foreach (var request in round.Requests.Reverse())
                original.Record(request.Sha, synthetic.Measure(request)!);
        }
        original.Skip(synthetic.Shas[700], "build failed");

        // A server restarted: every stored step, with all its samples at once, in any order.
        var replayed = new BisectSearch(BisectRange.FirstParent(synthetic.Shas), settings);
        foreach (var step in original.Steps.Reverse())
        {
            if (step.Decision == BisectDecision.Skipped)
                replayed.Skip(step.Sha, step.Reason!);
            else
                replayed.Record(step.Sha, step.Samples);
        }

        Assert.Equal(Describe(original.Next()), Describe(replayed.Next()));
        Assert.Equal(original.Steps.Select(s => (s.Sha, s.Decision, s.PValue, s.Reason, s.Samples.Count)).OrderBy(s => s.Sha),
            replayed.Steps.Select(s => (s.Sha, s.Decision, s.PValue, s.Reason, s.Samples.Count)).OrderBy(s => s.Sha));
        // And both go on to the same end.
        var first = synthetic.Run(original);
        Assert.Equal(first.Culprit, RunFrom(replayed, original));
    }

    private static string? RunFrom(BisectSearch search, BisectSearch done)
    {
        // The replayed search is fed the samples the original got, commit by commit.
        while (search.Next() is MeasureCommits round)
        {
            foreach (var request in round.Requests)
            {
                var have = search.Steps.SingleOrDefault(s => s.Sha == request.Sha)?.Samples.Count ?? 0;
                var samples = done.Steps.Single(s => s.Sha == request.Sha).Samples;
                search.Record(request.Sha, samples.Skip(have).Take(request.Trials).ToArray());
            }
        }
        return ((BisectFinished)search.Next()).Outcome.Culprit;
    }

    private static string Describe(BisectNext next) => next switch
    {
        MeasureCommits m => string.Join(",", m.Requests.Select(r => $"{r.Sha}x{r.Trials}")),
        BisectFinished f => f.Outcome.ToString(),
        _ => "?",
    };

    [Fact]
    public void BudgetExhausted_ReportsTheRangeLeft()
    {
        var synthetic = new SyntheticBisect(1000, 613, 0.08, 0.01, seed: 8);

        var outcome = synthetic.Run(new BisectSearch(BisectRange.FirstParent(synthetic.Shas), Latency with { MaxMeasuredCommits = 6 }));

        Assert.Equal(BisectOutcomeKind.BudgetExhausted, outcome.Kind);
        Assert.Equal(6, outcome.MeasuredCommits);
        Assert.Contains("c0613", outcome.RemainingRange);
        Assert.InRange(outcome.RemainingRange.Count, 30, 70);
        Assert.Equal(outcome.FirstBad, outcome.RemainingRange[^1]);
    }
}
