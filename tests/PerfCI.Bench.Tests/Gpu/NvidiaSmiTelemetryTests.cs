using PerfCI.Bench.Gpu;

namespace PerfCI.Bench.Tests.Gpu;

/// <summary>Lines in the shape an H100 on driver 580.159.04 prints for <c>TelemetryQueries[0]</c>.</summary>
public sealed class NvidiaSmiTelemetryTests
{
    [Fact]
    public void ParseSample_ReadsEveryField_OfABusyGpu()
    {
        var sample = NvidiaSmi.ParseSample("3, 71234, 81559, 98, 1980, 67, 652.31, 0x0000000000000004");

        Assert.Equal(new GpuSample(3, 0, MemoryUsedMiB: 71234, MemoryTotalMiB: 81559, UtilizationPercent: 98, PowerW: 652.31,
            SmClockMHz: 1980, TemperatureC: 67, ThrottleReasons: 0x4), sample);
    }

    [Fact]
    public void ParseSample_MakesUnavailableReadingsNull_NotZero()
    {
        var sample = NvidiaSmi.ParseSample("1, 512, 16384, [N/A], [Not Supported], , [Unknown Error], [N/A]");

        Assert.Equal(new GpuSample(1, 0, MemoryUsedMiB: 512, MemoryTotalMiB: 16384), sample);
    }

    [Theory]
    [InlineData("0x0000000000000000", 0x0UL)]
    [InlineData("0x0000000000000001", 0x1UL)]
    [InlineData("0x00000000000000A8", 0xA8UL)]
    [InlineData("0x8000000000000000", 0x8000000000000000UL)]
    public void ParseSample_ReadsTheHexThrottleMask(string mask, ulong expected)
    {
        var sample = NvidiaSmi.ParseSample($"0, 0, 81559, 0, 345, 51, 77.48, {mask}");

        Assert.Equal(expected, sample.ThrottleReasons);
    }

    [Fact]
    public void ParseSample_ReadsTheOldestQuery_WithNeitherInstantPowerNorReasons()
    {
        var fields = NvidiaSmi.TelemetryQueries[^1];

        var sample = NvidiaSmi.ParseSample("0, 1024, 32768, 12, 1410, 40, 61.5", fields);

        Assert.Equal(new GpuSample(0, 0, 1024, 32768, 12, 61.5, 1410, 40), sample);
    }

    [Fact]
    public void ParseSample_ReadsTheEnergyCounter_WhenTheQueryHasOne()
    {
        string[] fields = ["index", "power.draw", "total_energy_consumption", "timestamp"];

        var sample = NvidiaSmi.ParseSample("2, 301.25, 123456789, 2026/11/23 13:15:31.548", fields);

        Assert.Equal(new GpuSample(2, 0, PowerW: 301.25, EnergyMj: 123456789), sample);
    }

    [Fact]
    public void ParseSample_NamesTheFieldAndTheLine_WhenAValueIsNotANumber()
    {
        const string line = "0, 12 MiB, 81559, 0, 345, 51, 77.48, 0x1";

        var error = Assert.Throws<FormatException>(() => NvidiaSmi.ParseSample(line));

        Assert.Contains("memory.used", error.Message, StringComparison.Ordinal);
        Assert.Contains("'12 MiB'", error.Message, StringComparison.Ordinal);
        Assert.Contains(line, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseSample_NamesTheField_WhenTheMaskIsNotHex()
    {
        var error = Assert.Throws<FormatException>(() => NvidiaSmi.ParseSample("0, 0, 81559, 0, 345, 51, 77.48, Not Active"));

        Assert.Contains("clocks_event_reasons.active", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Not Active'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseSample_NamesTheQuery_WhenTheLineIsNotARow()
    {
        var error = Assert.Throws<FormatException>(() => NvidiaSmi.ParseSample("No devices were found"));

        Assert.Contains("1 fields, expected 8", error.Message, StringComparison.Ordinal);
        Assert.Contains("'No devices were found'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseSample_RefusesAMissingGpuIndex()
    {
        var error = Assert.Throws<FormatException>(() => NvidiaSmi.ParseSample("[N/A], 0, 81559, 0, 345, 51, 77.48, 0x1"));

        Assert.Contains("index", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ByGpu_SeparatesInterleavedGpus_InArrivalOrder()
    {
        string[] lines =
        [
            "0, 1000, 81559, 10, 1980, 50, 300, 0x0000000000000000",
            "1, 2000, 81559, 20, 1755, 55, 400, 0x0000000000000004",
            "0, 1100, 81559, 30, 1980, 51, 310, 0x0000000000000000",
            "1, 2100, 81559, 40, 1755, 56, 410, 0x0000000000000004",
        ];
        var samples = lines.Select((line, i) => NvidiaSmi.ParseSample(line) with { ElapsedMs = i * 50 }).ToList();

        var byGpu = new GpuTelemetry(NvidiaSmi.TelemetryQueries[0], samples).ByGpu();

        Assert.Equal([0, 1], byGpu.Keys.Order());
        Assert.Equal([1000.0, 1100.0], byGpu[0].Select(s => s.MemoryUsedMiB!.Value));
        Assert.Equal([0.0, 100.0], byGpu[0].Select(s => s.ElapsedMs));
        Assert.Equal([2000.0, 2100.0], byGpu[1].Select(s => s.MemoryUsedMiB!.Value));
        Assert.Equal([50.0, 150.0], byGpu[1].Select(s => s.ElapsedMs));
    }

    [Fact]
    public void TelemetryQueries_TryTheNewNamesFirst_AndEndWithTheSmallest()
    {
        Assert.Contains("clocks_event_reasons.active", NvidiaSmi.TelemetryQueries[0]);
        Assert.Contains("power.draw.instant", NvidiaSmi.TelemetryQueries[0]);
        Assert.Contains("clocks_throttle_reasons.active", NvidiaSmi.TelemetryQueries[1]);
        Assert.DoesNotContain(NvidiaSmi.TelemetryQueries[^1], f => f.Contains("reasons", StringComparison.Ordinal));
    }
}
