using System.CommandLine;
using PerfCI.Runner;

return await RunnerCommandLine.Build().Parse(args).InvokeAsync();
