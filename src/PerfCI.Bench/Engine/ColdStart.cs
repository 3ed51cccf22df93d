using PerfCI.Bench.Client;
using PerfCI.Core.Results;

namespace PerfCI.Bench.Engine;

/// <summary>What starting the engine cost: spawn to ready, and spawn to its first completed request.</summary>
public sealed record ColdStartResult(double TimeToReadyMs, double ColdStartMs)
{
    public ScenarioResult ToScenario() => new()
    {
        Name = "cold_start",
        Metrics = [MetricCatalog.Samples("time_to_ready", TimeToReadyMs), MetricCatalog.Samples("cold_start", ColdStartMs)],
    };
}

public static class ColdStart
{
    /// <summary>
    /// Starts the engine, waits until it is ready, sends one request and waits for its completion.
    /// The engine keeps running for the scenarios; the caller stops it. A failure stops it first.
    /// The time to the first completion includes asking the engine for its model name, if that is needed.
    /// </summary>
    public static async Task<(EngineProcess Engine, ColdStartResult Result)> StartAsync(
        EngineCommand command, OpenAiStreamingClient client, string path, Func<CancellationToken, Task<byte[]>> firstRequest,
        CancellationToken cancellationToken)
    {
        var clock = MonotonicClock.Start();
        var engine = EngineProcess.Start(command, clock);
        try
        {
            await engine.WaitReadyAsync(command, cancellationToken);
            // Built once the engine is up: the model name may have to be asked of the engine itself.
            var body = await firstRequest(cancellationToken);
            var record = await client.SendAsync(path, body, new RequestRecord(), clock, cancellationToken);
            if (record.Outcome != RequestOutcome.Completed)
                throw new EngineException($"the engine was ready but its first request failed: {record.FailureReason}", engine.LastLines);
            return (engine, new ColdStartResult(engine.ReadyMs!.Value - engine.SpawnedMs, record.EndMs - engine.SpawnedMs));
        }
        catch
        {
            await engine.DisposeAsync();
            throw;
        }
    }
}
