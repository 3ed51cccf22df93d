using PerfCI.Core.Bisect;
using PerfCI.Core.Domain;

namespace PerfCI.Core.Tests.Bisect;

/// <summary>
/// A synthetic history: commits from <see cref="Culprit"/> on measure <see cref="Step"/> (a fraction)
/// away from the level before it, every trial with normal noise of the given CV, from a seeded Random.
/// </summary>
internal sealed class SyntheticBisect
{
    private readonly Random _random;
    private readonly HashSet<string> _failing;

    public SyntheticBisect(int commits, int culprit, double step, double cv, int seed, IEnumerable<string>? failing = null)
    {
        Shas = [.. Enumerable.Range(0, commits).Select(i => $"c{i:D4}")];
        Culprit = culprit;
        Step = step;
        Cv = cv;
        _random = new Random(seed);
        _failing = new HashSet<string>(failing ?? [], StringComparer.Ordinal);
    }

    public IReadOnlyList<string> Shas { get; }

    /// <summary>The index of the first commit with the changed level; past the end for no change.</summary>
    public int Culprit { get; }

    public double Step { get; }

    public double Cv { get; }

    public string CulpritSha => Shas[Culprit];

    public int Trials { get; private set; }

    public int Rounds { get; private set; }

    public double Level(string sha) => 100 * (Shas.ToList().IndexOf(sha) >= Culprit ? 1 + Step : 1);

    public IReadOnlyList<double>? Measure(MeasureRequest request)
    {
        if (_failing.Contains(request.Sha))
            return null;
        var level = Level(request.Sha);
        Trials += request.Trials;
        return [.. Enumerable.Range(0, request.Trials).Select(_ => level * (1 + Cv * Gaussian()))];
    }

    /// <summary>Runs the search to its end, counting the rounds of measurements it asked for.</summary>
    public BisectOutcome Run(BisectSearch search)
    {
        while (true)
        {
            switch (search.Next())
            {
                case BisectFinished finished:
                    return finished.Outcome;
                case MeasureCommits round:
                    Rounds++;
                    foreach (var request in round.Requests)
                    {
                        if (Measure(request) is { } samples)
                            search.Record(request.Sha, samples);
                        else
                            search.Skip(request.Sha, "build failed");
                    }
                    break;
            }
        }
    }

    /// <summary>A random case of the kind the issue asks for: CV 1-5%, a step of 3-10% either way.</summary>
    public static (SyntheticBisect Case, BisectSettings Settings) Random(int commits, int seed)
    {
        var random = new Random(seed);
        var culprit = random.Next(1, commits);
        var step = (0.03 + 0.07 * random.NextDouble()) * (random.Next(2) == 0 ? 1 : -1);
        var cv = 0.01 + 0.04 * random.NextDouble();
        var direction = random.Next(2) == 0 ? MetricDirection.LowerIsBetter : MetricDirection.HigherIsBetter;
        return (new SyntheticBisect(commits, culprit, step, cv, seed * 7919 + 1), new BisectSettings { Direction = direction });
    }

    private double Gaussian() =>
        Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
}
