using PerfCI.Bench.Client;

namespace PerfCI.Bench.Tests;

public sealed class SocketFloorTests
{
    [Fact]
    public async Task EveryMessage_ArrivesOnce_StampedBeforeItWasReceived()
    {
        var port = FreePort.Next();
        var sender = Task.Run(() => SocketFloor.Send(port, connections: 3, stepMs: 10, CancellationToken.None), TestContext.Current.CancellationToken);
        // 3 s for what takes 0.1 s on a quiet machine: a busy one (a build beside the tests) delays the sender's steps.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));

        var events = await SocketFloor.ReceiveAsync(port, 3, MonotonicClock.Start(), stop.Token);
        await sender; // ends when the receiver has closed its connections

        Assert.True(events.Count >= 3 * 10, $"{events.Count} messages in 3 s at 3 x 100/s");
        Assert.All(events, e => Assert.InRange(e.LagMs, 0, 3000));
        // Stamps are distinct: no message was counted twice or cut in two.
        Assert.Equal(events.Count, events.Select(e => e.SentMs).Distinct().Count());
    }
}
