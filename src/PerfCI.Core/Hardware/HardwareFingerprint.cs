namespace PerfCI.Core.Hardware;

/// <summary>One GPU as <c>nvidia-smi --query-gpu</c> reports it.</summary>
public sealed record GpuInfo(string Model, long MemoryMiB, string? DriverVersion, string? CudaVersion);

/// <summary>
/// What a runner machine is made of. Numbers are only ever compared between runners whose
/// fingerprints give the same <see cref="HardwareClass"/>.
/// </summary>
public sealed record HardwareFingerprint
{
    public IReadOnlyList<GpuInfo> Gpus { get; init; } = [];
    public string CpuModel { get; init; } = "";
    public int CpuCores { get; init; }
    public long MemoryMiB { get; init; }
    public string Os { get; init; } = "";
    public string RunnerVersion { get; init; } = "";
}
