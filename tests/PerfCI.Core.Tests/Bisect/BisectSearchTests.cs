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
        }

        var average = measured.Average();
        var bound = Math.Ceiling(Math.Log2(commits)) + 3;
        var rate = correct / (double)seeds;
        output.WriteLine($"n = {commits}, {seeds} seeds: {average:F2} measured commits on average (bound {bound}), max {measured.Max()}, correct {rate:P1}, {trials / (double)seeds:F0} trials per bisect");
        foreach (var line in wrong)
            output.WriteLine(line);
        Assert.True(average <= bound, $"{average:F2} measured commits on average, more than {bound}.");
        Assert.True(rate >= 0.95, $"Only {rate:P1} of the bisects named the culprit.");
    }
}
