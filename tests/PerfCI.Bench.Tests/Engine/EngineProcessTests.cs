using PerfCI.Bench.Client;
using PerfCI.Bench.Engine;
using PerfCI.Bench.Simulator;

namespace PerfCI.Bench.Tests.Engine;

/// <summary>Real child processes: a shell, and perfci-bench's own simulated engine.</summary>
public sealed class EngineProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static EngineCommand Command(string shell, int port, double timeoutSeconds = 30) =>
        new(shell, new Uri($"http://127.0.0.1:{port}/health"), TimeSpan.FromSeconds(timeoutSeconds));

    [Fact]
    public async Task ColdStart_MeasuresSpawnToReady_AndToTheFirstCompletion()
    {
        var port = FreePort.Next();
        var config = Path.Combine(Path.GetTempPath(), $"perfci-cold-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, """{ "startupDelayMs": 400, "decodeMsPerStep": 50 }""", Ct);
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var bench = typeof(EngineModel).Assembly.Location;
        using var client = new OpenAiStreamingClient(new Uri($"http://127.0.0.1:{port}/"), TimeSpan.FromSeconds(30));
        try
        {
            var (engine, result) = await ColdStart.StartAsync(
                Command($"exec '{dotnet}' '{bench}' simulate --port {port} --config '{config}'", port), client, "v1/completions",
                _ => Task.FromResult(RequestBodies.Completion("m", "hello", 1, false, false)), Ct);
            await using (engine)
            {
                Assert.True(result.TimeToReadyMs >= 400, $"ready after {result.TimeToReadyMs} ms");
                Assert.True(result.ColdStartMs >= result.TimeToReadyMs + 45, $"first completion at {result.ColdStartMs} ms");
                Assert.Equal(["time_to_ready", "cold_start"], result.ToScenario().Metrics.Select(m => m.Name));
            }
            Assert.False(engine.GroupAlive());
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task Stop_EndsTheWholeProcessGroup_EvenWhenTheEngineIgnoresSignals()
    {
        var engine = EngineProcess.Start(Command("trap '' INT TERM; sleep 300 & sleep 300 & wait", FreePort.Next()), MonotonicClock.Start());
        await Task.Delay(300, Ct);
        Assert.True(engine.GroupAlive());

        await engine.StopAsync(TimeSpan.FromMilliseconds(300));

        Assert.False(engine.GroupAlive());
    }

    [Fact]
    public async Task WaitReady_FailsWithTheEnginesLastLines_WhenItExits()
    {
        var port = FreePort.Next();
        var command = Command("echo loading weights; echo 'CUDA out of memory' >&2; exit 3", port);
        await using var engine = EngineProcess.Start(command, MonotonicClock.Start());

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.WaitReadyAsync(command, Ct));

        Assert.Equal("the engine exited with code 3 before it was ready", error.Message);
        Assert.Contains("CUDA out of memory", error.LastLines);
        Assert.Contains("loading weights", error.LastLines);
    }

    [Fact]
    public async Task WaitReady_GivesUp_AfterTheTimeout()
    {
        var port = FreePort.Next();
        var command = Command("echo starting; exec sleep 60", port, timeoutSeconds: 1);
        var engine = EngineProcess.Start(command, MonotonicClock.Start());

        var error = await Assert.ThrowsAsync<EngineException>(() => engine.WaitReadyAsync(command, Ct));
        await engine.DisposeAsync();

        Assert.StartsWith($"the engine was not ready at http://127.0.0.1:{port}/health within 1 s", error.Message, StringComparison.Ordinal);
        Assert.Equal(["starting"], error.LastLines);
        Assert.False(engine.GroupAlive());
    }
}
