using PerfCI.Bench.Gpu;

namespace PerfCI.Bench.Tests;

public sealed class NvidiaSmiTests
{
    [Fact]
    public void ParseInventory_ReadsEveryGpu()
    {
        const string csv = "NVIDIA H100 80GB HBM3, 81559, 550.54.15\nNVIDIA H100 80GB HBM3, 81559, 550.54.15\n";

        var gpus = NvidiaSmi.ParseInventory(csv, "12.4");

        Assert.Equal(2, gpus.Count);
        Assert.All(gpus, g => Assert.Equal(new PerfCI.Core.Hardware.GpuInfo("NVIDIA H100 80GB HBM3", 81559, "550.54.15", "12.4"), g));
    }

    [Fact]
    public void ParseInventory_NamesTheBadField()
    {
        var error = Assert.Throws<FormatException>(() => NvidiaSmi.ParseInventory("NVIDIA L4, [N/A], 550.54.15", null));

        Assert.Contains("memory.total", error.Message, StringComparison.Ordinal);
        Assert.Contains("[N/A]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseCudaVersion_ReadsTheBanner()
    {
        const string banner = "| NVIDIA-SMI 550.54.15              Driver Version: 550.54.15      CUDA Version: 12.4     |";

        Assert.Equal("12.4", NvidiaSmi.ParseCudaVersion(banner));
        Assert.Null(NvidiaSmi.ParseCudaVersion("no banner"));
    }
}
