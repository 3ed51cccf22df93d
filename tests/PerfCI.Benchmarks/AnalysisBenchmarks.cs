using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using PerfCI.Core.Analysis;
using PerfCI.Core.Analysis.Synthetic;

namespace PerfCI.Benchmarks;

/// <summary>
/// Analysing one series of 1,000 / 10,000 / 100,000 points (target: 10,000 in under 50 ms). The series
/// has a step every 40-90 points in 2% noise with outliers, so the verdicts are exercised, not only the scan.
/// </summary>
[MemoryDiagnoser]
public class AnalysisBenchmarks
{
    private IReadOnlyList<SeriesPoint> _series = [];
    private readonly ChangePointOptions _options = new();

    [Params(1_000, 10_000, 100_000)]
    public int Points { get; set; }

    [GlobalSetup]
    public void Generate() => _series = Series(Points + 1)[..Points];

    [Benchmark]
    public int DetectWholeSeries() => ChangePointDetector.Detect(_series, _options).Count;

    internal static SeriesPoint[] Series(int points) =>
        [.. SyntheticSeries.Generate(new SyntheticSeriesSpec { Points = points, NoiseCv = 0.02, StepMagnitude = 0.08, TrialOutlierRate = 0.02, RunOutlierRate = 0.01 }, 2026).Points];

    /// <summary>In process: no generated project to build on a small machine.</summary>
    public static int Run(string[] args)
    {
        var job = (args.Contains("--long") ? Job.Default : Job.ShortRun).WithToolchain(InProcessEmitToolchain.Instance);
        IConfig Config(Job with) => DefaultConfig.Instance.WithOptions(ConfigOptions.DisableOptimizationsValidator).AddJob(with);
        var detect = BenchmarkRunner.Run<AnalysisBenchmarks>(Config(job));
        // One append per iteration, each to a fresh analyser of exactly Points points.
        var append = BenchmarkRunner.Run<AppendBenchmarks>(Config(job.WithInvocationCount(1).WithUnrollFactor(1).WithIterationCount(args.Contains("--long") ? 50 : 20)));
        return new[] { detect, append }.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}

/// <summary>Re-analysing a series after one more point arrives (target: under 5 ms at 10,000 points).</summary>
[MemoryDiagnoser]
public class AppendBenchmarks
{
    private SeriesPoint[] _series = [];
    private SeriesAnalyzer _analyzer = null!;
    private readonly ChangePointOptions _options = new();

    [Params(1_000, 10_000, 100_000)]
    public int Points { get; set; }

    [GlobalSetup]
    public void Generate() => _series = AnalysisBenchmarks.Series(Points + 1);

    [IterationSetup]
    public void Analyse() => _analyzer = new SeriesAnalyzer(_options, _series[..Points]);

    [Benchmark]
    public int AppendOnePoint()
    {
        _analyzer.Append(_series[Points]);
        return _analyzer.Changes.Count;
    }
}
