using PerfCI.Benchmarks;

// dotnet run -c Release --project tests/PerfCI.Benchmarks -- dispatch [jobs]
return args switch
{
    ["dispatch", ..] => await DispatchLatency.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: PerfCI.Benchmarks dispatch [jobs]");
    return 2;
}
