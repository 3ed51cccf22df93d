using PerfCI.Benchmarks;

// dotnet run -c Release --project tests/PerfCI.Benchmarks -- dispatch [jobs]
// dotnet run -c Release --project tests/PerfCI.Benchmarks -- analysis [--long]
// dotnet run -c Release --project tests/PerfCI.Benchmarks -- detectors [seeds per cell]
// dotnet run -c Release --project tests/PerfCI.Benchmarks -- trends-page [points] [loads]
// dotnet run -c Release --project tests/PerfCI.Benchmarks -- home [runners] [runs]
return args switch
{
    ["dispatch", ..] => await DispatchLatency.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200),
    ["analysis", ..] => AnalysisBenchmarks.Run(args[1..]),
    ["detectors", ..] => DetectorComparison.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3),
    ["trends-page", ..] => await TrendsPage.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 7),
    ["home", ..] => await HomePageBenchmark.RunAsync(
        args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 100,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1000),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: PerfCI.Benchmarks dispatch [jobs] | analysis [--long] | detectors [seeds per cell] | trends-page [points] [loads] | home [runners] [runs]");
    return 2;
}
