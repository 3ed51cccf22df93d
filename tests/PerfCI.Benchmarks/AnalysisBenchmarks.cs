using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using PerfCI.Core.Analysis;
using PerfCI.Core.Analysis.Synthetic;

namespace PerfCI.Benchmarks;

/// <summary>
/// Analysing one series of 1,000 / 10,000 / 100,000 points (targets: 10,000 in under 50 ms), and
/// re-analysing it after one more point arrives (target: under 5 ms). The series has a step every
/// 40-90 points in 2% noise with outliers, so the verdicts are exercised, not only the scan.
/// </summary>
[MemoryDiagnoser]
public class AnalysisBenchmarks
{
    private IReadOnlyList<SeriesPoint> _series = [];
    private SeriesPoint _next = null!;
    private SeriesAnalyzer _analyzer = null!;
    private readonly ChangePointOptions _options = new();

    [Params(1_000, 10_000, 100_000)]
    public int Points { get; set; }

    [GlobalSetup]
    public void Generate()
    {
        var points = SyntheticSeries.Generate(new SyntheticSeriesSpec { Points = Points + 1, NoiseCv = 0.02, StepMagnitude = 0.08, TrialOutlierRate = 0.02, RunOutlierRate = 0.01 }, 2026).Points;
        _series = [.. points.Take(Points)];
        _next = points[^1];
    }

    /// <summary>Every iteration appends to a fresh copy of the analysed series, so that each measures one append to exactly <see cref="Points"/>.</summary>
    [IterationSetup(Target = nameof(AppendOnePoint))]
    public void Analyse() => _analyzer = new SeriesAnalyzer(_options, _series);

    [Benchmark]
    public int DetectWholeSeries() => ChangePointDetector.Detect(_series, _options).Count;

    [Benchmark]
    public int AppendOnePoint()
    {
        _analyzer.Append(_next);
        return _analyzer.Changes.Count;
    }

    /// <summary>
    /// In process (no generated project to build on a small machine), one invocation per iteration (the
    /// append needs a fresh analyser each time).
    /// </summary>
    public static int Run(string[] args)
    {
        var job = (args.Contains("--long") ? Job.Default : Job.ShortRun)
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithInvocationCount(1).WithUnrollFactor(1)
            .WithIterationCount(args.Contains("--long") ? 30 : 15);
        var summary = BenchmarkRunner.Run<AnalysisBenchmarks>(DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator));
        return summary.HasCriticalValidationErrors || summary.Reports.Any(r => !r.Success) ? 1 : 0;
    }
}
