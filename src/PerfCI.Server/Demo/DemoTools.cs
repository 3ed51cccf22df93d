using System.Reflection;
using System.Runtime.InteropServices;

namespace PerfCI.Server.Demo;

/// <summary>
/// Where the demo's programs are: perfci-runner (built with the server: the server's project
/// references it without referencing its assembly, and the build records its path in the server's
/// assembly metadata), perfci-bench beside it, and the dotnet host that runs both.
/// </summary>
public sealed record DemoTools(string DotnetHost, string RunnerDll, string BenchDll)
{
    /// <summary>The key of the assembly metadata the build writes (see PerfCI.Server.csproj).</summary>
    public const string RunnerPathMetadata = "PerfCI.Demo.RunnerPath";

    /// <summary>The tools, or an exception that says which one is missing and how to get it.</summary>
    public static DemoTools Locate(string? configuredRunner)
    {
        var runner = string.IsNullOrWhiteSpace(configuredRunner) ? BuiltRunnerPath() : Path.GetFullPath(configuredRunner);
        if (runner is null || !File.Exists(runner))
        {
            throw new FileNotFoundException(
                $"perfci-runner.dll not found{(runner is null ? "" : $" at {runner}")}: build it (dotnet build src/PerfCI.Runner) or set Demo__RunnerPath.");
        }
        var bench = Path.Combine(Path.GetDirectoryName(runner)!, "perfci-bench.dll");
        if (!File.Exists(bench))
            throw new FileNotFoundException($"perfci-bench.dll not found beside {runner}: rebuild src/PerfCI.Runner.");
        return new DemoTools(FindDotnetHost(), runner, bench);
    }

    private static string? BuiltRunnerPath() =>
        typeof(DemoTools).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == RunnerPathMetadata)?.Value is { Length: > 0 } path ? path : null;

    /// <summary>
    /// The host running this server when it is <c>dotnet</c>; otherwise (an apphost, as under
    /// <c>dotnet run</c>) the one of this runtime's installation, so that a private install works too.
    /// </summary>
    private static string FindDotnetHost()
    {
        if (Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet")
            return current;
        // .../dotnet/shared/Microsoft.NETCore.App/10.0.x/ -> .../dotnet/dotnet
        var runtime = new DirectoryInfo(RuntimeEnvironment.GetRuntimeDirectory().TrimEnd(Path.DirectorySeparatorChar));
        var root = runtime.Parent?.Parent?.Parent;
        var host = root is null ? null : Path.Combine(root.FullName, "dotnet");
        return host is not null && File.Exists(host) ? host : "dotnet";
    }
}
