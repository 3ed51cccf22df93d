using System.CommandLine;
using System.Text.Json;
using PerfCI.Core.Hardware;
using PerfCI.Runner.Hardware;

namespace PerfCI.Runner;

/// <summary>The <c>perfci-runner</c> command line.</summary>
public static class RunnerCommandLine
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static RootCommand Build()
    {
        var root = new RootCommand("perfci-runner: the PerfCI agent on a benchmark machine.");
        root.Subcommands.Add(Fingerprint());
        root.Subcommands.Add(RegisterCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(ExecCommand.Create());
        root.Subcommands.Add(BisectCommand.Create());
        return root;
    }

    private static Command Fingerprint()
    {
        var json = new Option<bool>("--json") { Description = "Print the fingerprint and class as JSON." };
        var command = new Command("fingerprint", "Print this machine's hardware fingerprint and the hardware class PerfCI derives from it.") { json };
        command.SetAction(async (parse, ct) =>
        {
            var fingerprint = await HardwareProbe.ProbeAsync(ct);
            var hardwareClass = HardwareClass.Derive(fingerprint);
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(new { hardwareClass, fingerprint }, Json));
                return 0;
            }
            await output.WriteLineAsync($"hardware class: {hardwareClass}");
            await output.WriteLineAsync($"cpu:            {fingerprint.CpuModel} ({fingerprint.CpuCores} cores)");
            await output.WriteLineAsync($"memory:         {fingerprint.MemoryMiB} MiB");
            await output.WriteLineAsync($"os:             {fingerprint.Os}");
            if (fingerprint.Gpus.Count == 0)
                await output.WriteLineAsync("gpus:           none (nvidia-smi not found or no NVIDIA GPU)");
            foreach (var gpu in fingerprint.Gpus)
                await output.WriteLineAsync($"gpu:            {gpu.Model}, {gpu.MemoryMiB} MiB, driver {gpu.DriverVersion}, CUDA {gpu.CudaVersion ?? "unknown"}");
            return 0;
        });
        return command;
    }
}
