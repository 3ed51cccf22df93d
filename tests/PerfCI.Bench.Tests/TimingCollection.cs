namespace PerfCI.Bench.Tests;

/// <summary>
/// Tests that compare measured latencies with scripted ones run alone: on a two-core machine a
/// neighbouring test's threads would be measured too. tests/run.sh also runs this category after
/// every other test assembly has finished.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "Timing";
    public const string Category = "Timing";
}
