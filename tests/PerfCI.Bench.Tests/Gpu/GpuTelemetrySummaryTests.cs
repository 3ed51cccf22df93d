using PerfCI.Bench.Gpu;

namespace PerfCI.Bench.Tests.Gpu;

public sealed class GpuTelemetrySummaryTests
{
    private static GpuTelemetry Telemetry(params GpuSample[] samples) => new(NvidiaSmi.TelemetryQueries[0], samples);

    [Fact]
    public void Summary_UsesTheEnergyCounter_WhenEveryGpuHasOne()
    {
        // Power says otherwise on purpose: the counter wins.
        var telemetry = Telemetry(
            new GpuSample(0, 0, PowerW: 1, EnergyMj: 1_000_000),
            new GpuSample(1, 10, PowerW: 1, EnergyMj: 2_000_000),
            new GpuSample(0, 100, PowerW: 1, EnergyMj: 1_012_000),
            new GpuSample(1, 110, PowerW: 1, EnergyMj: 2_020_000),
            new GpuSample(0, 200, PowerW: 1, EnergyMj: 1_030_000),
            new GpuSample(1, 210, PowerW: 1, EnergyMj: 2_045_500));

        var summary = telemetry.Summary();

        // GPU 0: 30 J, GPU 1: 45.5 J.
        Assert.Equal(75.5, summary.EnergyJ!.Value, 9);
        Assert.Equal(GpuEnergySource.Counter, summary.EnergySource);
        Assert.Equal(0.5, summary.EnergyPerToken(151)!.Value, 9);
    }

    [Fact]
    public void Summary_IntegratesPower_WhenTheEnergyCounterIsAbsent()
    {
        var telemetry = Telemetry(
            new GpuSample(0, 0, PowerW: 100),
            new GpuSample(1, 50, PowerW: 400),
            new GpuSample(0, 100, PowerW: 200),
            new GpuSample(1, 150, PowerW: 400),
            new GpuSample(0, 300, PowerW: 300));

        var summary = telemetry.Summary();

        // GPU 0: (100+200)/2 W x 0.1 s + (200+300)/2 W x 0.2 s = 15 + 50 J; GPU 1: 400 W x 0.1 s = 40 J.
        Assert.Equal(105, summary.EnergyJ!.Value, 9);
        Assert.Equal(GpuEnergySource.IntegratedPower, summary.EnergySource);
        Assert.Equal(0.5, summary.EnergyPerToken(210)!.Value, 9);
    }

    [Fact]
    public void Summary_IntegratesPower_WhenOneGpuHasNoCounter()
    {
        var telemetry = Telemetry(
            new GpuSample(0, 0, PowerW: 100, EnergyMj: 5_000),
            new GpuSample(1, 0, PowerW: 200),
            new GpuSample(0, 1000, PowerW: 100, EnergyMj: 999_000),
            new GpuSample(1, 1000, PowerW: 200));

        var summary = telemetry.Summary();

        Assert.Equal(300, summary.EnergyJ!.Value, 9);
        Assert.Equal(GpuEnergySource.IntegratedPower, summary.EnergySource);
    }

    [Fact]
    public void Summary_IntegratesPower_WhenTheCounterWasReset()
    {
        var telemetry = Telemetry(
            new GpuSample(0, 0, PowerW: 250, EnergyMj: 9_000_000),
            new GpuSample(0, 2000, PowerW: 250, EnergyMj: 1_000));

        var summary = telemetry.Summary();

        Assert.Equal(500, summary.EnergyJ!.Value, 9);
        Assert.Equal(GpuEnergySource.IntegratedPower, summary.EnergySource);
    }

    [Fact]
    public void Summary_LeavesEnergyAbsent_WhenAGpuReportsNoPower()
    {
        var telemetry = Telemetry(
            new GpuSample(0, 0, MemoryUsedMiB: 100, PowerW: 300),
            new GpuSample(1, 0, MemoryUsedMiB: 100),
            new GpuSample(0, 100, MemoryUsedMiB: 100, PowerW: 300),
            new GpuSample(1, 100, MemoryUsedMiB: 100));

        var summary = telemetry.Summary();

        Assert.Null(summary.EnergyJ);
        Assert.Null(summary.EnergySource);
        Assert.Null(summary.EnergyPerToken(100));
        Assert.Null(summary.MeanPowerW);
        Assert.Null(summary.MaxPowerW);
    }

    [Fact]
    public void Summary_SumsMemoryOverGpusAtEachInstant_ForThePeak()
    {
        // The per-GPU peaks (30000 and 15000) never coincide: the peak of the sum is 35000, not 45000.
        var telemetry = Telemetry(
            new GpuSample(0, 0, MemoryUsedMiB: 10_000),
            new GpuSample(1, 1, MemoryUsedMiB: 5_000),
            new GpuSample(0, 100, MemoryUsedMiB: 30_000),
            new GpuSample(1, 101, MemoryUsedMiB: 5_000),
            new GpuSample(0, 200, MemoryUsedMiB: 20_000),
            new GpuSample(1, 201, MemoryUsedMiB: 15_000));

        var summary = telemetry.Summary();

        Assert.Equal(35_000, summary.PeakMemoryUsedMiB);
        Assert.Equal(new Dictionary<int, double> { [0] = 30_000, [1] = 15_000 }, summary.PeakMemoryUsedMiBPerGpu);
        Assert.Equal(2, summary.GpuCount);
        Assert.Equal(6, summary.SampleCount);
        Assert.Equal(201, summary.DurationMs);
    }

    [Fact]
    public void Summary_AveragesAndPeaks_SkippingUnavailableReadings()
    {
        var telemetry = Telemetry(
            new GpuSample(0, 0, UtilizationPercent: 90, PowerW: 600, SmClockMHz: 1980, TemperatureC: 60),
            new GpuSample(1, 0, UtilizationPercent: 70, PowerW: 500, SmClockMHz: 1800, TemperatureC: 70),
            new GpuSample(0, 100, UtilizationPercent: null, PowerW: 700, SmClockMHz: null, TemperatureC: null),
            new GpuSample(1, 100, UtilizationPercent: 50, PowerW: 300, SmClockMHz: 1650, TemperatureC: 65));

        var summary = telemetry.Summary();

        Assert.Equal(70, summary.MeanUtilizationPercent!.Value, 9);
        // Mean per GPU 650 + 400; the sums at each instant are 1100, 1200 (700 + 500), 1000.
        Assert.Equal(1050, summary.MeanPowerW!.Value, 9);
        Assert.Equal(1200, summary.MaxPowerW);
        Assert.Equal(1810, summary.MeanSmClockMHz!.Value, 9);
        Assert.Equal(70, summary.MaxTemperatureC);
    }

    [Fact]
    public void Summary_DecodesEveryThrottleReasonSeen()
    {
        var telemetry = Telemetry(
            new GpuSample(0, 0, ThrottleReasons: 0x0),
            new GpuSample(1, 0, ThrottleReasons: 0x4),
            new GpuSample(0, 100, ThrottleReasons: 0x28),
            new GpuSample(1, 100, ThrottleReasons: null),
            new GpuSample(0, 200, ThrottleReasons: 0x80));

        var summary = telemetry.Summary();

        Assert.Equal(["sw_power_cap", "hw_slowdown", "sw_thermal_slowdown", "hw_power_brake_slowdown"], summary.ThrottleReasons);
    }

    [Fact]
    public void Summary_HasNoThrottleReasons_WhenTheDriverReportedNone()
    {
        var summary = Telemetry(new GpuSample(0, 0, ThrottleReasons: null)).Summary();

        Assert.Null(summary.ThrottleReasons);
    }

    [Theory]
    [InlineData(0x0UL, new string[0])]
    [InlineData(0x1UL, new[] { "gpu_idle" })]
    [InlineData(0x40UL, new[] { "hw_thermal_slowdown" })]
    [InlineData(0x112UL, new[] { "applications_clocks_setting", "sync_boost", "display_clock_setting" })]
    [InlineData(0x1008UL, new[] { "hw_slowdown", "0x1000" })]
    public void Decode_NamesTheDocumentedBits_AndKeepsUnknownOnes(ulong mask, string[] expected)
    {
        Assert.Equal(expected, GpuThrottleReasons.Decode(mask));
    }

    [Fact]
    public void Summary_IsAbsent_WithoutSamples()
    {
        var summary = Telemetry().Summary();

        Assert.Equal(0, summary.GpuCount);
        Assert.Null(summary.PeakMemoryUsedMiB);
        Assert.Empty(summary.PeakMemoryUsedMiBPerGpu);
        Assert.Null(summary.MeanUtilizationPercent);
        Assert.Null(summary.MeanPowerW);
        Assert.Null(summary.MaxPowerW);
        Assert.Null(summary.MeanSmClockMHz);
        Assert.Null(summary.MaxTemperatureC);
        Assert.Null(summary.EnergyJ);
    }

    [Fact]
    public void EnergyPerToken_IsAbsent_WithoutOutputTokens()
    {
        var summary = Telemetry(new GpuSample(0, 0, PowerW: 100), new GpuSample(0, 1000, PowerW: 100)).Summary();

        Assert.Equal(100, summary.EnergyPerToken(1));
        Assert.Null(summary.EnergyPerToken(0));
    }
}
