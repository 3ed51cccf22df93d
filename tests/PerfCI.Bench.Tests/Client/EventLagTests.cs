using PerfCI.Bench.Metrics;

namespace PerfCI.Bench.Tests.Client;

public sealed class EventLagTests
{
    /// <summary>
    /// Five engine steps 20 ms apart, each sending 4 events 0.01 ms apart; the client has the first
    /// 0.05 ms after its send and handles one every 0.02 ms, so each later event also waits behind
    /// the ones before it.
    /// </summary>
    private static List<StampedEvent> PacedBursts()
    {
        var events = new List<StampedEvent>();
        for (var step = 0; step < 5; step++)
        {
            for (var k = 0; k < 4; k++)
            {
                var sent = step * 20.0 + k * 0.01;
                events.Add(new StampedEvent(sent, step * 20.0 + 0.05 + k * 0.02, FirstOfRead: k != 3));
            }
        }
        return events;
    }

    [Fact]
    public void Of_SeparatesTheIdleClientsLag_FromQueueingInABurst()
    {
        var lag = EventLag.Of(PacedBursts())!;

        Assert.Equal(20, lag.All.Count);
        Assert.Equal(0.065, lag.All.Mean, 9);                       // 0.05, 0.06, 0.07, 0.08 in every burst
        Assert.Equal(3, lag.Bursts);                                 // the first and last may be cut by the window
        Assert.Equal(0.05, lag.FirstOfBurst!.P50, 9);
        Assert.Equal(4, lag.BurstSize);
        Assert.Equal(0.03, lag.ServerSpanMs!.Value, 9);
        Assert.Equal(0.06, lag.ClientSpanMs!.Value, 9);
        Assert.Equal(5, lag.LaterInRead!.Count);
        Assert.Equal(0.08, lag.LaterInRead.P50, 9);
        Assert.Equal(0.06, lag.FirstOfRead!.P50, 9);
    }

    [Fact]
    public void Of_ClaimsNoBursts_ForAContinuousRun()
    {
        var events = Enumerable.Range(0, 1000).Select(i => new StampedEvent(i * 0.01, i * 0.01 + 0.2, true)).ToList();

        var lag = EventLag.Of(events)!;

        Assert.Equal(0.2, lag.All.P50, 9);
        Assert.Equal(1, lag.Bursts);
        Assert.Null(lag.FirstOfBurst);
        Assert.Null(lag.ServerSpanMs);
        Assert.Null(lag.LaterInRead);
    }

    [Fact]
    public void Of_IsNull_WithoutStampedEvents() => Assert.Null(EventLag.Of([]));
}
