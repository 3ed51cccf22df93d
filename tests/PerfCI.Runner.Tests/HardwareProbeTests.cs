using System.Text.Json;
using PerfCI.Runner.Hardware;

namespace PerfCI.Runner.Tests;

public sealed class HardwareProbeTests
{
    [Fact]
    public void ReadCpuModel_TakesTheFirstModelName()
    {
        const string cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9654 96-Core Processor\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 9654 96-Core Processor\n";

        Assert.Equal("AMD EPYC 9654 96-Core Processor", HardwareProbe.ReadCpuModel(cpuinfo));
    }

    [Fact]
    public void ReadMemoryMiB_ConvertsMemTotalFromKiB()
    {
        Assert.Equal(24_576, HardwareProbe.ReadMemoryMiB("MemTotal:       25165824 kB\nMemFree:        1000 kB\n"));
        Assert.Equal(0, HardwareProbe.ReadMemoryMiB("nothing here"));
    }

    [Fact]
    public void ReadOsName_UsesPrettyName()
    {
        Assert.Equal("Ubuntu 24.04.1 LTS", HardwareProbe.ReadOsName("NAME=\"Ubuntu\"\nPRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nID=ubuntu\n"));
    }

    [Fact]
    public async Task Fingerprint_OnThisMachine_ReportsRealCpuAndMemory_AndNoInventedGpu()
    {
        var fingerprint = await HardwareProbe.ProbeAsync(TestContext.Current.CancellationToken);

        Assert.Equal(Environment.ProcessorCount, fingerprint.CpuCores);
        Assert.True(fingerprint.MemoryMiB > 0);
        Assert.False(string.IsNullOrWhiteSpace(fingerprint.CpuModel));
        Assert.All(fingerprint.Gpus, gpu => Assert.True(gpu.MemoryMiB > 0));
    }

    [Fact]
    public async Task FingerprintCommand_PrintsTheClassAsJson()
    {
        using var output = new StringWriter();
        var parse = RunnerCommandLine.Build().Parse(["fingerprint", "--json"]);

        var exit = await parse.InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output }, TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output.ToString());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("hardwareClass").GetString()));
        Assert.Equal(Environment.ProcessorCount, json.RootElement.GetProperty("fingerprint").GetProperty("cpuCores").GetInt32());
        Assert.Equal(JsonValueKind.Array, json.RootElement.GetProperty("fingerprint").GetProperty("gpus").ValueKind);
    }
}
