using PerfCI.Core.Bisect;
using PerfCI.Core.Domain;

namespace PerfCI.Core.Tests.Bisect;

public sealed class BisectRangeTests
{
    /// <summary>
    /// g - a - b - m - c - d (bad), with a side branch from a: a - x - y - m (merge).
    /// </summary>
    private static readonly BisectCommit[] History =
    [
        new("d", ["c"]),
        new("c", ["m"]),
        new("m", ["b", "y"]),
        new("y", ["x"]),
        new("x", ["a"]),
        new("b", ["a"]),
        new("a", ["g"]),
        new("g", ["f"]),
        new("f", []),
    ];

    [Fact]
    public void FirstParent_TakesTheCommitsBetweenTheEnds()
    {
        var range = BisectRange.FirstParent(["g", "a", "b", "c"]);

        Assert.Equal(("g", "c"), (range.Good, range.Bad));
        Assert.Equal(["a", "b"], range.Candidates);
        Assert.True(range.IsLinear);
    }

    [Fact]
    public void FirstParent_RejectsRepeatedOrMissingCommits()
    {
        Assert.Throws<ArgumentException>(() => BisectRange.FirstParent(["g"]));
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => BisectRange.FirstParent(["g", "a", "g"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromDag_TakesAncestorsOfBadThatAreNotAncestorsOfGood_ParentsFirst()
    {
        var range = BisectRange.FromDag(History, "a", "d");

        Assert.Equal(["b", "c", "m", "x", "y"], range.Candidates.Order());
        Assert.False(range.IsLinear);
        var order = range.Candidates.ToList();
        Assert.True(order.IndexOf("x") < order.IndexOf("y") && order.IndexOf("y") < order.IndexOf("m") && order.IndexOf("b") < order.IndexOf("m") && order.IndexOf("m") < order.IndexOf("c"));
    }

    [Fact]
    public void FromDag_NamesWhatIsWrong()
    {
        Assert.Contains("zzz", Assert.Throws<ArgumentException>(() => BisectRange.FromDag(History, "zzz", "d")).Message, StringComparison.Ordinal);
        Assert.Contains("ancestor", Assert.Throws<ArgumentException>(() => BisectRange.FromDag(History, "d", "a")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("y")]
    [InlineData("b")]
    [InlineData("m")]
    [InlineData("c")]
    public void FullDag_FindsTheCulprit_OnEitherSideOfAMerge(string culprit)
    {
        // The culprit's change is in every commit that has it as an ancestor (or is it).
        var parents = History.ToDictionary(c => c.Sha, c => c.Parents);
        bool Has(string sha) => sha == culprit || parents[sha].Any(Has);
        var random = new Random(culprit[0]);
        var search = new BisectSearch(BisectRange.FromDag(History, "g", "d"), new BisectSettings { Direction = MetricDirection.LowerIsBetter });

        var outcome = Run(search, sha => 100 * (Has(sha) ? 1.07 : 1) * (1 + 0.01 * (random.NextDouble() - 0.5)));

        Assert.Equal(BisectOutcomeKind.Culprit, outcome.Kind);
        Assert.Equal(culprit, outcome.Culprit);
        Assert.True(outcome.MeasuredCommits <= 6, $"{outcome.MeasuredCommits} commits measured.");
    }

    [Fact]
    public void FullDag_FirstPickHalvesTheCandidates()
    {
        // Candidates of g..d: a, b, x, y, m, c. Ancestors within them: a 1, b 2, x 2, y 3, m 5, c 6;
        // seven possible culprits (d too): y (3) and m... y splits 3 / 4 best.
        var search = new BisectSearch(BisectRange.FromDag(History, "g", "d"), new BisectSettings { Direction = MetricDirection.LowerIsBetter });
        search.Record("g", [100, 100.1, 99.9, 100.2, 99.8, 100, 100.1, 99.9, 100.2, 99.8]);
        search.Record("d", [110, 110.1, 109.9, 110.2, 109.8, 110, 110.1, 109.9, 110.2, 109.8]);

        var next = Assert.IsType<MeasureCommits>(search.Next());

        Assert.Equal("y", Assert.Single(next.Requests).Sha);
    }

    private static BisectOutcome Run(BisectSearch search, Func<string, double> measure)
    {
        while (true)
        {
            switch (search.Next())
            {
                case BisectFinished finished:
                    return finished.Outcome;
                case MeasureCommits round:
                    foreach (var request in round.Requests)
                        search.Record(request.Sha, [.. Enumerable.Range(0, request.Trials).Select(_ => measure(request.Sha))]);
                    break;
            }
        }
    }
}
