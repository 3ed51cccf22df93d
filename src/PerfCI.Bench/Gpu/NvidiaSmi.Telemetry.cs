using System.Diagnostics;
using System.Globalization;

namespace PerfCI.Bench.Gpu;

/// <summary>The telemetry half of <see cref="NvidiaSmi"/>: the looping query and its CSV lines.</summary>
public static partial class NvidiaSmi
{
    /// <summary>Fields every telemetry query asks for, in this order.</summary>
    private static readonly string[] CoreTelemetryFields =
        ["index", "memory.used", "memory.total", "utilization.gpu", "clocks.sm", "temperature.gpu"];

    /// <summary>
    /// The telemetry queries to try, best first; a driver that answers "is not a valid field" gets the
    /// next one. <c>power.draw</c> is a one-second average on Ampere and newer, too smooth to integrate
    /// at 100 ms, so the instant reading is preferred where the driver has it (R530 and newer).
    /// <c>clocks_event_reasons</c> is the current name of <c>clocks_throttle_reasons</c>; drivers up to
    /// R535 know only the old one. nvidia-smi has no energy-counter field at all (R580 answers
    /// "total_energy_consumption is not a valid field"): energy comes from integrated power, or from a
    /// <c>total_energy_consumption</c> column where a caller's query has one.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>> TelemetryQueries { get; } =
    [
        [.. CoreTelemetryFields, "power.draw.instant", "clocks_event_reasons.active"],
        [.. CoreTelemetryFields, "power.draw.instant", "clocks_throttle_reasons.active"],
        [.. CoreTelemetryFields, "power.draw", "clocks_throttle_reasons.active"],
        [.. CoreTelemetryFields, "power.draw"],
    ];

    /// <summary>Parses one line of the best telemetry query, <c>TelemetryQueries[0]</c>.</summary>
    public static GpuSample ParseSample(string csvLine) => ParseSample(csvLine, TelemetryQueries[0]);

    /// <summary>
    /// Parses one line of <c>--query-gpu=FIELDS --format=csv,noheader,nounits</c>. Unavailable readings
    /// (<c>[N/A]</c>, <c>[Not Supported]</c>, any other bracketed status, blank) become null, never 0.
    /// The sample's <see cref="GpuSample.ElapsedMs"/> is 0: the sampler stamps it on arrival.
    /// </summary>
    public static GpuSample ParseSample(string csvLine, IReadOnlyList<string> fields)
    {
        var line = csvLine.Trim();
        var values = line.Split(',');
        if (values.Length != fields.Count)
            throw new FormatException(
                $"nvidia-smi telemetry line has {values.Length} fields, expected {fields.Count} ({string.Join(',', fields)}): '{line}'");

        var sample = new GpuSample(Gpu: -1, ElapsedMs: 0);
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            var value = values[i].Trim();
            sample = field switch
            {
                "index" => sample with { Gpu = (int)(ParseNumber(field, value, line) ?? throw Bad(field, value, line, "the GPU index is missing")) },
                "memory.used" => sample with { MemoryUsedMiB = ParseNumber(field, value, line) },
                "memory.total" => sample with { MemoryTotalMiB = ParseNumber(field, value, line) },
                "utilization.gpu" => sample with { UtilizationPercent = ParseNumber(field, value, line) },
                "power.draw" or "power.draw.instant" => sample with { PowerW = ParseNumber(field, value, line) },
                "clocks.sm" => sample with { SmClockMHz = ParseNumber(field, value, line) },
                "temperature.gpu" => sample with { TemperatureC = ParseNumber(field, value, line) },
                "clocks_event_reasons.active" or "clocks_throttle_reasons.active" => sample with { ThrottleReasons = ParseMask(field, value, line) },
                "total_energy_consumption" => sample with { EnergyMj = ParseNumber(field, value, line) },
                // Fields this parser has no slot for (a timestamp, say) are read past, not refused.
                _ => sample,
            };
        }
        if (sample.Gpu < 0)
            throw new FormatException($"nvidia-smi telemetry query has no 'index' field: '{line}'");
        return sample;
    }

    /// <summary>nvidia-smi's answer when the driver does not know a field: try a smaller query.</summary>
    internal static bool IsUnknownFieldError(string output) =>
        output.Contains("is not a valid field", StringComparison.OrdinalIgnoreCase);

    internal static ProcessStartInfo StartInfo(string executable, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return start;
    }

    private static bool IsUnavailable(string value) =>
        // "[N/A]", "[Not Supported]", "[Unknown Error]", "[Insufficient Permissions]", "[GPU is lost]":
        // nvidia-smi brackets every status that stands in for a reading.
        value.Length == 0 || value.StartsWith('[') || value.Equals("N/A", StringComparison.OrdinalIgnoreCase);

    private static double? ParseNumber(string field, string value, string line)
    {
        if (IsUnavailable(value))
            return null;
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || !double.IsFinite(number))
            throw Bad(field, value, line, "not a number");
        return number;
    }

    private static ulong? ParseMask(string field, string value, string line)
    {
        if (IsUnavailable(value))
            return null;
        var hex = value.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? value[2..] : value;
        if (!ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var mask))
            throw Bad(field, value, line, "not a hexadecimal bitmask");
        return mask;
    }

    private static FormatException Bad(string field, string value, string line, string why) =>
        new($"nvidia-smi {field} is {why}: '{value}' in '{line}'");
}
