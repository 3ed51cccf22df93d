using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using PerfCI.Core.Hardware;

namespace PerfCI.Bench.Gpu;

/// <summary>
/// Reads NVIDIA GPUs through <c>nvidia-smi</c>. No nvidia-smi means no GPU: an empty list, never
/// made-up zeros.
/// </summary>
public static partial class NvidiaSmi
{
    public const string InventoryQuery = "name,memory.total,driver_version";

    /// <summary>Found on PATH; the telemetry sampler takes another path so tests can stand in a fake.</summary>
    public const string Executable = "nvidia-smi";

    public static async Task<IReadOnlyList<GpuInfo>> QueryGpusAsync(CancellationToken cancellationToken)
    {
        var csv = await RunAsync(["--query-gpu=" + InventoryQuery, "--format=csv,noheader,nounits"], cancellationToken);
        if (csv is null)
            return [];
        var banner = await RunAsync([], cancellationToken);
        return ParseInventory(csv, banner is null ? null : ParseCudaVersion(banner));
    }

    /// <summary>Parses <c>--query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits</c>.</summary>
    public static IReadOnlyList<GpuInfo> ParseInventory(string csv, string? cudaVersion)
    {
        var gpus = new List<GpuInfo>();
        foreach (var rawLine in csv.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0)
                continue;
            // GPU names have no commas; the last two fields are numbers and a version.
            var fields = line.Split(',');
            if (fields.Length < 3)
                throw new FormatException($"nvidia-smi inventory line has {fields.Length} fields, expected 3: '{line}'");
            var name = string.Join(',', fields[..^2]).Trim();
            var memory = fields[^2].Trim();
            if (!long.TryParse(memory, NumberStyles.Integer, CultureInfo.InvariantCulture, out var memoryMiB))
                throw new FormatException($"nvidia-smi memory.total is not a number of MiB: '{memory}' in '{line}'");
            gpus.Add(new GpuInfo(name, memoryMiB, fields[^1].Trim(), cudaVersion));
        }
        return gpus;
    }

    /// <summary>The CUDA version the driver supports, from the banner of plain <c>nvidia-smi</c>.</summary>
    public static string? ParseCudaVersion(string banner) =>
        CudaVersionPattern().Match(banner) is { Success: true } match ? match.Groups[1].Value : null;

    [GeneratedRegex(@"CUDA Version:\s*([0-9][0-9.]*)")]
    private static partial Regex CudaVersionPattern();

    /// <summary>Standard output of nvidia-smi, or null when it is not installed or finds no GPU.</summary>
    private static async Task<string?> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = StartInfo(Executable, arguments);
        try
        {
            using var process = Process.Start(start);
            if (process is null)
                return null;
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            _ = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode == 0 ? await output : null;
        }
        catch (Win32Exception)
        {
            return null;
        }
    }
}
