using System.ComponentModel.DataAnnotations;

namespace PerfCI.Server.Jobs;

public sealed class JobsOptions
{
    public const string SectionName = "Jobs";

    /// <summary>Hangfire workers in this server instance.</summary>
    [Range(1, 256)]
    public int WorkerCount { get; set; } = Math.Max(4, Environment.ProcessorCount * 2);
}
