using PerfCI.Core.Hardware;

namespace PerfCI.Core.Tests;

public sealed class HardwareClassTests
{
    private static readonly GpuInfo H100 = new("NVIDIA H100 80GB HBM3", 81559, "550.54.15", "12.4");

    [Fact]
    public void Derive_NamesGpuCountModelMemoryDriverCudaAndCpu()
    {
        var fingerprint = new HardwareFingerprint { Gpus = [H100, H100], CpuModel = "AMD EPYC 9654 96-Core Processor" };

        Assert.Equal("2x-nvidia-h100-80gb-hbm3-80gb-drv550.54.15-cuda12.4-amd-epyc-9654-96-core-processor", HardwareClass.Derive(fingerprint));
    }

    [Fact]
    public void Derive_IgnoresWhatDoesNotMoveInferenceNumbers()
    {
        var a = new HardwareFingerprint { Gpus = [H100], CpuModel = "Xeon", MemoryMiB = 128_000, Os = "Ubuntu 22.04", RunnerVersion = "0.1.0" };
        var b = a with { MemoryMiB = 256_000, Os = "Ubuntu 24.04", RunnerVersion = "0.2.0", CpuCores = 64 };

        Assert.Equal(HardwareClass.Derive(a), HardwareClass.Derive(b));
    }

    [Fact]
    public void Derive_SeparatesDriverVersions_AndGpuCounts()
    {
        var one = new HardwareFingerprint { Gpus = [H100], CpuModel = "Xeon" };

        Assert.NotEqual(HardwareClass.Derive(one), HardwareClass.Derive(one with { Gpus = [H100 with { DriverVersion = "560.28.03" }] }));
        Assert.NotEqual(HardwareClass.Derive(one), HardwareClass.Derive(one with { Gpus = [H100, H100] }));
    }

    [Fact]
    public void Derive_DoesNotDependOnTheOrderGpusAreListedIn()
    {
        var l4 = new GpuInfo("NVIDIA L4", 23034, "550.54.15", "12.4");

        Assert.Equal(
            HardwareClass.Derive(new HardwareFingerprint { Gpus = [H100, l4] }),
            HardwareClass.Derive(new HardwareFingerprint { Gpus = [l4, H100] }));
    }

    [Fact]
    public void Derive_GivesACpuClass_WhenThereIsNoGpu()
    {
        Assert.Equal("cpu-intel-r-xeon-r-gold-6338", HardwareClass.Derive(new HardwareFingerprint { CpuModel = "Intel(R) Xeon(R) Gold 6338" }));
        Assert.Equal("cpu", HardwareClass.Derive(new HardwareFingerprint()));
    }
}
