using System.Globalization;
using System.Text;

namespace PerfCI.Core.Hardware;

/// <summary>
/// Derives the hardware class, the part of a series' identity that says which machines its numbers
/// may be compared across: GPU model and count, GPU memory, driver and CUDA version, CPU model.
/// Memory size of the host, OS patch level and runner version are left out on purpose: they do not
/// move inference numbers enough to split a series.
/// </summary>
public static class HardwareClass
{
    public const string CpuOnlyPrefix = "cpu";

    public static string Derive(HardwareFingerprint fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        var cpu = Slug(fingerprint.CpuModel);
        if (fingerprint.Gpus.Count == 0)
            return string.IsNullOrEmpty(cpu) ? CpuOnlyPrefix : $"{CpuOnlyPrefix}-{cpu}";

        // A mixed machine is described by its GPUs in a stable order so the class does not
        // depend on the order nvidia-smi happened to list them in.
        var groups = fingerprint.Gpus
            .GroupBy(g => (Model: Slug(g.Model), MemoryGiB: (long)Math.Round(g.MemoryMiB / 1024.0)))
            .OrderBy(g => g.Key.Model, StringComparer.Ordinal)
            .ThenBy(g => g.Key.MemoryGiB)
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Count()}x-{g.Key.Model}-{g.Key.MemoryGiB}gb"));

        var first = fingerprint.Gpus[0];
        var builder = new StringBuilder(string.Join('+', groups));
        if (!string.IsNullOrWhiteSpace(first.DriverVersion))
            builder.Append("-drv").Append(Slug(first.DriverVersion));
        if (!string.IsNullOrWhiteSpace(first.CudaVersion))
            builder.Append("-cuda").Append(Slug(first.CudaVersion));
        if (!string.IsNullOrEmpty(cpu))
            builder.Append('-').Append(cpu);
        return builder.ToString();
    }

    /// <summary>Lower-case letters, digits and dots; everything else collapses to one dash.</summary>
    internal static string Slug(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return "";
        var builder = new StringBuilder(text.Length);
        foreach (var c in text.Trim().ToLowerInvariant())
        {
            if (char.IsAsciiLetterOrDigit(c) || c == '.')
                builder.Append(c);
            else if (builder.Length > 0 && builder[^1] != '-')
                builder.Append('-');
        }
        return builder.ToString().Trim('-');
    }
}
