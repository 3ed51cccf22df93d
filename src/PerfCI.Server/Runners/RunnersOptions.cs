namespace PerfCI.Server.Runners;

public sealed class RunnersOptions
{
    public const string SectionName = "Runners";

    /// <summary>A runner silent for this long is shown offline (its long-poll is ~30 s).</summary>
    public TimeSpan OfflineAfter { get; set; } = TimeSpan.FromMinutes(2);
}
