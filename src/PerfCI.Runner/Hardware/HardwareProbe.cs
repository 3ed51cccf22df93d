using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using PerfCI.Bench.Gpu;
using PerfCI.Core.Hardware;

namespace PerfCI.Runner.Hardware;

/// <summary>What this machine is made of, as the runner reports it when it registers.</summary>
public static class HardwareProbe
{
    public static async Task<HardwareFingerprint> ProbeAsync(CancellationToken cancellationToken) => new()
    {
        Gpus = await NvidiaSmi.QueryGpusAsync(cancellationToken),
        CpuModel = ReadCpuModel(await ReadOrEmptyAsync("/proc/cpuinfo", cancellationToken)),
        CpuCores = Environment.ProcessorCount,
        MemoryMiB = ReadMemoryMiB(await ReadOrEmptyAsync("/proc/meminfo", cancellationToken)),
        Os = ReadOsName(await ReadOrEmptyAsync("/etc/os-release", cancellationToken)) ?? RuntimeInformation.OSDescription,
        RunnerVersion = RunnerVersion,
    };

    public static string RunnerVersion { get; } =
        typeof(HardwareProbe).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The first "model name" of /proc/cpuinfo (x86) or "Model"/"CPU part" elsewhere.</summary>
    public static string ReadCpuModel(string cpuinfo) =>
        Field(cpuinfo, "model name") ?? Field(cpuinfo, "Model") ?? Field(cpuinfo, "CPU part") ?? RuntimeInformation.ProcessArchitecture.ToString();

    public static long ReadMemoryMiB(string meminfo)
    {
        var total = Field(meminfo, "MemTotal");
        if (total is null)
            return 0;
        var kib = total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return long.TryParse(kib, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value / 1024 : 0;
    }

    public static string? ReadOsName(string osRelease)
    {
        foreach (var line in osRelease.Split('\n'))
        {
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                return line["PRETTY_NAME=".Length..].Trim().Trim('"');
        }
        return null;
    }

    private static string? Field(string text, string name)
    {
        foreach (var line in text.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == name)
                return line[(colon + 1)..].Trim();
        }
        return null;
    }

    private static async Task<string> ReadOrEmptyAsync(string path, CancellationToken cancellationToken) =>
        File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken) : "";
}
