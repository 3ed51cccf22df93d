using System.Diagnostics;
using PerfCI.Bench.Gpu;

namespace PerfCI.Bench.Tests.Gpu;

/// <summary>
/// The sampler against a shell script standing in for nvidia-smi. The script is passed by path, so
/// no test changes PATH for the others running beside it.
/// </summary>
public sealed class GpuSamplerTests : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("perfci-gpu-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Delete(recursive: true);

    /// <summary>Two GPUs, as the first telemetry query orders the fields, every 100 ms until killed.</summary>
    private const string TwoBusyGpus = """
        echo "$$" > "$DIR/pid"
        echo "$@" > "$DIR/args"
        while true; do
          echo "0, 1000, 81559, 90, 1980, 60, 300, 0x0000000000000000"
          echo "1, 2000, 81559, 70, 1755, 65, [N/A], 0x0000000000000004"
          sleep 0.1
        done
        """;

    [Fact]
    public async Task StopAsync_KillsNvidiaSmi_AndReturnsWhatItSampled()
    {
        var smi = FakeNvidiaSmi(TwoBusyGpus);

        var sampler = await GpuSampler.TryStartAsync(Interval, smi, cancellationToken: Ct);
        Assert.NotNull(sampler);
        await WaitForSamplesAsync(sampler, 6);
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(_directory.FullName, "pid"), Ct), System.Globalization.CultureInfo.InvariantCulture);
        var telemetry = await sampler.StopAsync();

        Assert.False(IsRunning(pid));
        Assert.Equal(NvidiaSmi.TelemetryQueries[0], telemetry.Fields);
        Assert.Equal(
            $"--query-gpu={string.Join(',', NvidiaSmi.TelemetryQueries[0])} --format=csv,noheader,nounits -lms 100",
            (await File.ReadAllTextAsync(Path.Combine(_directory.FullName, "args"), Ct)).Trim());
        Assert.True(telemetry.Samples.Count >= 6);
        Assert.Equal(0, telemetry.SkippedLines);
        var byGpu = telemetry.ByGpu();
        Assert.Equal([0, 1], byGpu.Keys.Order());
        Assert.All(byGpu.Values, gpu => Assert.True(gpu.Zip(gpu.Skip(1)).All(pair => pair.Second.ElapsedMs > pair.First.ElapsedMs)));
        Assert.All(byGpu[1], s => Assert.Null(s.PowerW));

        var summary = telemetry.Summary();
        Assert.Equal(3000, summary.PeakMemoryUsedMiB);
        Assert.Equal(80, summary.MeanUtilizationPercent!.Value, 9);
        Assert.Equal(65, summary.MaxTemperatureC);
        Assert.Equal(["sw_power_cap"], summary.ThrottleReasons);
        // GPU 1 has no power: energy is unknown, not the energy of GPU 0 alone.
        Assert.Null(summary.EnergyJ);
    }

    [Fact]
    public async Task Summary_IntegratesTheSampledPower_OverArrivalTimes()
    {
        var smi = FakeNvidiaSmi("""
            while true; do
              echo "0, 1000, 81559, 90, 1980, 60, 250, 0x0000000000000000"
              sleep 0.1
            done
            """);

        await using var sampler = await GpuSampler.TryStartAsync(Interval, smi, cancellationToken: Ct);
        Assert.NotNull(sampler);
        await WaitForSamplesAsync(sampler, 4);
        var telemetry = await sampler.StopAsync();

        var samples = telemetry.Samples;
        var seconds = (samples[^1].ElapsedMs - samples[0].ElapsedMs) / 1000;
        var summary = telemetry.Summary();
        Assert.Equal(250 * seconds, summary.EnergyJ!.Value, 6);
        Assert.Equal(GpuEnergySource.IntegratedPower, summary.EnergySource);
        Assert.Same(telemetry, await sampler.StopAsync());
    }

    [Fact]
    public async Task TryStartAsync_FallsBackToTheOldReasonsField_OnAnOldDriver()
    {
        var smi = FakeNvidiaSmi("""
            case "$*" in
              *clocks_event_reasons*) echo 'Field "clocks_event_reasons.active" is not a valid field to query.'; exit 2 ;;
            esac
            while true; do
              echo "0, 1000, 81559, 90, 1980, 60, 250, 0x0000000000000020"
              sleep 0.1
            done
            """);

        await using var sampler = await GpuSampler.TryStartAsync(Interval, smi, cancellationToken: Ct);

        Assert.NotNull(sampler);
        Assert.Equal(NvidiaSmi.TelemetryQueries[1], sampler.Fields);
        var telemetry = await sampler.StopAsync();
        Assert.Equal(["sw_thermal_slowdown"], telemetry.Summary().ThrottleReasons);
    }

    [Fact]
    public async Task TryStartAsync_SkipsLinesItCannotRead_AndKeepsSampling()
    {
        var smi = FakeNvidiaSmi("""
            echo "WARNING: infoROM is corrupted at gpu 0000:01:00.0"
            echo "0, 1000, 81559, 90, 1980, 60, 250, 0x0"
            echo "Unable to determine the device handle for GPU 0000:02:00.0: Unknown Error"
            while true; do
              echo "0, 1000, 81559, 90, 1980, 60, 250, 0x0"
              sleep 0.1
            done
            """);

        await using var sampler = await GpuSampler.TryStartAsync(Interval, smi, cancellationToken: Ct);
        Assert.NotNull(sampler);
        await WaitForSamplesAsync(sampler, 3);
        var telemetry = await sampler.StopAsync();

        Assert.Equal(2, telemetry.SkippedLines);
        Assert.Contains("infoROM", telemetry.FirstSkippedLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryStartAsync_IsAbsent_WhenNvidiaSmiIsNotInstalled()
    {
        var sampler = await GpuSampler.TryStartAsync(Interval, Path.Combine(_directory.FullName, "no-such-nvidia-smi"), cancellationToken: Ct);

        Assert.Null(sampler);
    }

    [Fact]
    public async Task TryStartAsync_IsAbsent_WhenThereIsNoGpu()
    {
        var smi = FakeNvidiaSmi("""
            echo "No devices were found"
            exit 6
            """);

        var sampler = await GpuSampler.TryStartAsync(Interval, smi, cancellationToken: Ct);

        Assert.Null(sampler);
    }

    [Fact]
    public async Task TryStartAsync_IsAbsent_WhenNvidiaSmiSaysNothing()
    {
        var smi = FakeNvidiaSmi("""
            echo "$$" > "$DIR/pid"
            exec sleep 30
            """);

        var sampler = await GpuSampler.TryStartAsync(Interval, smi, firstSampleTimeout: TimeSpan.FromMilliseconds(500), cancellationToken: Ct);

        Assert.Null(sampler);
        var pid = int.Parse(await File.ReadAllTextAsync(Path.Combine(_directory.FullName, "pid"), Ct), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(IsRunning(pid));
    }

    private string FakeNvidiaSmi(string body)
    {
        var path = Path.Combine(_directory.FullName, "nvidia-smi");
        File.WriteAllText(path, $"#!/bin/sh\nDIR='{_directory.FullName}'\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    private static async Task WaitForSamplesAsync(GpuSampler sampler, int count)
    {
        // Generous: the fake prints every 100 ms, but a loaded two-core machine can be slow to fork.
        var deadline = Stopwatch.StartNew();
        while (sampler.SampleCount < count)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), $"only {sampler.SampleCount} of {count} samples in 20 s");
            await Task.Delay(50, Ct);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
