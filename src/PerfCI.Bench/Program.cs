using System.CommandLine;
using PerfCI.Bench;

return await BenchCommandLine.Build().Parse(args).InvokeAsync();
