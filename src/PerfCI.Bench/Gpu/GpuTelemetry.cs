namespace PerfCI.Bench.Gpu;

/// <summary>
/// One reading of one GPU. Every reading is nullable: a GPU that does not report a quantity has it
/// absent, which a mean or a peak must skip rather than count as 0.
/// </summary>
/// <param name="Gpu">nvidia-smi's GPU index.</param>
/// <param name="ElapsedMs">When the line arrived, in ms since the sampler started.</param>
/// <param name="ThrottleReasons">The <c>clocks_event_reasons.active</c> bitmask; see <see cref="GpuThrottleReasons"/>.</param>
/// <param name="EnergyMj">The GPU's energy counter (mJ since the driver loaded), where the query has one.</param>
public sealed record GpuSample(
    int Gpu,
    double ElapsedMs,
    double? MemoryUsedMiB = null,
    double? MemoryTotalMiB = null,
    double? UtilizationPercent = null,
    double? PowerW = null,
    double? SmClockMHz = null,
    double? TemperatureC = null,
    ulong? ThrottleReasons = null,
    double? EnergyMj = null);

/// <summary>Where <see cref="GpuTelemetrySummary.EnergyJ"/> came from.</summary>
public enum GpuEnergySource
{
    /// <summary>The difference of the GPUs' own energy counters: exact over the sampled window.</summary>
    Counter,

    /// <summary>Trapezoids of power over arrival time: good to the accuracy of the power readings.</summary>
    IntegratedPower,
}

/// <summary>The names of the documented <c>nvmlClocksEventReason*</c> bits (nvml.h).</summary>
public static class GpuThrottleReasons
{
    private static readonly (ulong Bit, string Name)[] Known =
    [
        (0x1, "gpu_idle"),
        (0x2, "applications_clocks_setting"),
        (0x4, "sw_power_cap"),
        (0x8, "hw_slowdown"),
        (0x10, "sync_boost"),
        (0x20, "sw_thermal_slowdown"),
        (0x40, "hw_thermal_slowdown"),
        (0x80, "hw_power_brake_slowdown"),
        (0x100, "display_clock_setting"),
    ];

    /// <summary>The names of the bits set in <paramref name="mask"/>; a bit nvml.h does not document is kept as hex.</summary>
    public static IReadOnlyList<string> Decode(ulong mask)
    {
        var names = new List<string>();
        foreach (var (bit, name) in Known)
        {
            if ((mask & bit) != 0)
                names.Add(name);
            mask &= ~bit;
        }
        // A newer driver's reason must still show up, or a throttled run would read as a clean one.
        for (var bit = 1UL; mask != 0; bit <<= 1)
        {
            if ((mask & bit) == 0)
                continue;
            names.Add($"0x{bit:x}");
            mask &= ~bit;
        }
        return names;
    }
}

/// <summary>What the GPUs did while a scenario ran, as nvidia-smi reported it.</summary>
/// <param name="Fields">The query nvidia-smi answered (the sampler falls back to fewer fields on older drivers).</param>
/// <param name="Samples">Every sample of every GPU, in arrival order.</param>
/// <param name="SkippedLines">Lines that could not be parsed (nvidia-smi prints warnings on stdout too).</param>
/// <param name="FirstSkippedLine">The first of those, with why, for the log.</param>
public sealed record GpuTelemetry(
    IReadOnlyList<string> Fields,
    IReadOnlyList<GpuSample> Samples,
    int SkippedLines = 0,
    string? FirstSkippedLine = null)
{
    /// <summary>The samples of each GPU, in arrival order, by GPU index.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<GpuSample>> ByGpu() =>
        Samples.GroupBy(s => s.Gpu).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => (IReadOnlyList<GpuSample>)[.. g]);

    public GpuTelemetrySummary Summary()
    {
        var byGpu = ByGpu();
        var (peakMemory, peakPower) = PeakSums();
        var (energy, source) = Energy(byGpu);
        var reasons = Samples.Where(s => s.ThrottleReasons is not null)
            .Aggregate(0UL, (seen, s) => seen | s.ThrottleReasons!.Value);
        var powerMeans = byGpu.Values.Select(g => Mean(g, s => s.PowerW)).ToList();
        return new GpuTelemetrySummary(
            GpuCount: byGpu.Count,
            SampleCount: Samples.Count,
            DurationMs: Samples.Count == 0 ? 0 : Samples.Max(s => s.ElapsedMs) - Samples.Min(s => s.ElapsedMs),
            PeakMemoryUsedMiB: peakMemory,
            PeakMemoryUsedMiBPerGpu: byGpu
                .Where(g => g.Value.Any(s => s.MemoryUsedMiB is not null))
                .ToDictionary(g => g.Key, g => g.Value.Max(s => s.MemoryUsedMiB)!.Value),
            MeanUtilizationPercent: Mean(Samples, s => s.UtilizationPercent),
            // The mean of a sum is the sum of the means; a GPU without power readings makes the sum unknown.
            MeanPowerW: powerMeans.Count > 0 && powerMeans.All(m => m is not null) ? powerMeans.Sum() : null,
            MaxPowerW: peakPower,
            MeanSmClockMHz: Mean(Samples, s => s.SmClockMHz),
            MaxTemperatureC: Samples.Max(s => s.TemperatureC),
            ThrottleReasons: Samples.Any(s => s.ThrottleReasons is not null) ? GpuThrottleReasons.Decode(reasons) : null,
            EnergyJ: energy,
            EnergySource: source);
    }

    private static double? Mean(IEnumerable<GpuSample> samples, Func<GpuSample, double?> reading)
    {
        var values = samples.Select(reading).OfType<double>().ToList();
        return values.Count == 0 ? null : values.Average();
    }

    /// <summary>
    /// Peak of the memory and power summed over GPUs. nvidia-smi prints the GPUs one after another,
    /// so at each arrival the sum uses every GPU's latest reading; sums before every GPU with that
    /// reading has reported once are partial and not counted.
    /// </summary>
    private (double? Memory, double? Power) PeakSums()
    {
        var memoryGpus = Samples.Where(s => s.MemoryUsedMiB is not null).Select(s => s.Gpu).ToHashSet();
        var powerGpus = Samples.Where(s => s.PowerW is not null).Select(s => s.Gpu).ToHashSet();
        var memory = new Dictionary<int, double>();
        var power = new Dictionary<int, double>();
        double? peakMemory = null, peakPower = null;
        foreach (var sample in Samples)
        {
            if (sample.MemoryUsedMiB is { } m)
                memory[sample.Gpu] = m;
            if (sample.PowerW is { } p)
                power[sample.Gpu] = p;
            if (memory.Count == memoryGpus.Count && memory.Count > 0)
                peakMemory = Math.Max(peakMemory ?? double.MinValue, memory.Values.Sum());
            if (power.Count == powerGpus.Count && power.Count > 0)
                peakPower = Math.Max(peakPower ?? double.MinValue, power.Values.Sum());
        }
        // Power summed over a subset of the GPUs would be an undercount dressed as a total.
        var allGpus = Samples.Select(s => s.Gpu).Distinct().Count();
        return (peakMemory, powerGpus.Count == allGpus ? peakPower : null);
    }

    /// <summary>
    /// Joules over the sampled window, summed over GPUs: the counters when every GPU has one, else
    /// power integrated when every GPU has power, else unknown (null): a GPU left out would make a
    /// smaller number that looks right.
    /// </summary>
    private static (double? Joules, GpuEnergySource? Source) Energy(IReadOnlyDictionary<int, IReadOnlyList<GpuSample>> byGpu)
    {
        if (byGpu.Count == 0)
            return (null, null);

        var counted = byGpu.Values.Select(CounterJoules).ToList();
        if (counted.All(j => j is not null))
            return (counted.Sum(), GpuEnergySource.Counter);

        var integrated = byGpu.Values.Select(IntegratedJoules).ToList();
        if (integrated.All(j => j is not null))
            return (integrated.Sum(), GpuEnergySource.IntegratedPower);
        return (null, null);
    }

    private static double? CounterJoules(IReadOnlyList<GpuSample> samples)
    {
        var counters = samples.Where(s => s.EnergyMj is not null).ToList();
        if (counters.Count < 2)
            return null;
        var millijoules = counters[^1].EnergyMj!.Value - counters[0].EnergyMj!.Value;
        // A counter that went backwards was reset (driver reload) mid-run: integrate instead.
        return millijoules < 0 ? null : millijoules / 1000;
    }

    private static double? IntegratedJoules(IReadOnlyList<GpuSample> samples)
    {
        var powered = samples.Where(s => s.PowerW is not null).ToList();
        if (powered.Count < 2)
            return null;
        var joules = 0.0;
        for (var i = 1; i < powered.Count; i++)
            joules += (powered[i - 1].PowerW!.Value + powered[i].PowerW!.Value) / 2 * (powered[i].ElapsedMs - powered[i - 1].ElapsedMs) / 1000;
        return joules;
    }
}

/// <summary>The figures a scenario report shows for its GPUs. Null means not reported, never 0.</summary>
/// <param name="PeakMemoryUsedMiB">The peak of memory used summed over the GPUs at each instant.</param>
/// <param name="PeakMemoryUsedMiBPerGpu">The peak of each GPU on its own.</param>
/// <param name="MeanUtilizationPercent">Mean over every GPU and sample.</param>
/// <param name="MeanPowerW">Mean board power summed over the GPUs.</param>
/// <param name="MaxPowerW">Peak board power summed over the GPUs at each instant.</param>
/// <param name="ThrottleReasons">Every reason seen in any sample, or null when the driver reported none.</param>
/// <param name="EnergyJ">Energy over the sampled window, summed over the GPUs.</param>
public sealed record GpuTelemetrySummary(
    int GpuCount,
    int SampleCount,
    double DurationMs,
    double? PeakMemoryUsedMiB,
    IReadOnlyDictionary<int, double> PeakMemoryUsedMiBPerGpu,
    double? MeanUtilizationPercent,
    double? MeanPowerW,
    double? MaxPowerW,
    double? MeanSmClockMHz,
    double? MaxTemperatureC,
    IReadOnlyList<string>? ThrottleReasons,
    double? EnergyJ,
    GpuEnergySource? EnergySource)
{
    /// <summary>Joules per output token, or null when the energy is unknown or no token came out.</summary>
    public double? EnergyPerToken(int outputTokens) =>
        EnergyJ is { } joules && outputTokens > 0 ? joules / outputTokens : null;
}
