namespace PerfCI.Runner.Tests;

/// <summary>
/// The end-to-end tests run alone, one after another: each starts a server, runners and engines,
/// and on a two-core machine one test's processes would slow another's engine enough to move the
/// latencies that <see cref="AgentEndToEndTests"/> checks, or to starve a short test lease.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "End to end";
}
