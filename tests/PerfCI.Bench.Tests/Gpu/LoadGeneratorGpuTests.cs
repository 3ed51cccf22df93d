using PerfCI.Bench.Client;
using PerfCI.Bench.Load;
using PerfCI.Bench.Simulator;
using PerfCI.Bench.Tests.Client;

namespace PerfCI.Bench.Tests.Gpu;

/// <summary>GPU telemetry inside a trial: sampled while the measured requests run, absent when there is no GPU.</summary>
public sealed class LoadGeneratorGpuTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("perfci-gpu-trial-");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Delete(recursive: true);

    private static async Task<TrialRun> RunAsync(string nvidiaSmi)
    {
        var (app, url) = await StreamingClientTests.StartEngineAsync(new EngineModel { DecodeMsPerStep = 10 });
        await using var _ = app;
        using var client = new OpenAiStreamingClient(url, TimeSpan.FromSeconds(30));
        var spec = new ScenarioSpec("gpu", Endpoint.Completions, "m", new WorkloadSpec(16, 40), LoadSpec.Closed(4), Requests: 8)
        {
            NvidiaSmiPath = nvidiaSmi,
        };
        return await new LoadGenerator(client).RunTrialAsync(spec, 0, null, Ct);
    }

    [Fact]
    public async Task Trial_ReportsGpuMemoryPowerAndEnergyPerToken_FromTheSamples()
    {
        var smi = Path.Combine(_directory.FullName, "nvidia-smi");
        // One GPU at a steady 350 W with 40 GB in use.
        await File.WriteAllTextAsync(smi, "#!/bin/sh\nwhile true; do echo \"0, 40960, 81559, 97, 1980, 61, 350, 0x0000000000000000\"; sleep 0.05; done\n", Ct);
        File.SetUnixFileMode(smi, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var trial = await RunAsync(smi);

        var values = trial.Metrics.Values;
        Assert.Equal(40960, values["gpu_memory_peak"]);
        Assert.Equal(350, values["gpu_power_mean"], 6);
        Assert.Equal(97, values["gpu_utilization_mean"], 6);
        // 8 requests x 40 tokens = 320 tokens; energy = 350 W over the sampled window.
        Assert.InRange(values["energy_per_output_token"], 0.01, 350.0 * 10 / 320);
    }

    [Fact]
    public async Task Trial_LeavesGpuMetricsOut_WhenThereIsNoGpu()
    {
        var trial = await RunAsync(Path.Combine(_directory.FullName, "no-such-nvidia-smi"));

        Assert.DoesNotContain(trial.Metrics.Values.Keys, k => k.StartsWith("gpu_", StringComparison.Ordinal) || k == "energy_per_output_token");
        Assert.Contains(trial.Notes, n => n.StartsWith("no NVIDIA GPU telemetry", StringComparison.Ordinal));
    }
}
