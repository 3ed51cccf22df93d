namespace PerfCI.Bench.Metrics;

/// <summary>
/// One token event against a server that stamps its events: when the server was about to send it
/// (its stamp, on the machine's monotonic clock), when the client had it (the time it records for
/// the event), and whether it was the first event of the read that brought it.
/// </summary>
public readonly record struct StampedEvent(double SentMs, double ReceivedMs, bool FirstOfRead)
{
    /// <summary>How late the client's time for the event is: the latency the client adds to it.</summary>
    public double LagMs => ReceivedMs - SentMs;
}

/// <summary>
/// The client's added latency per token event, and what it is made of.
/// <list type="bullet">
/// <item><see cref="All"/>: every event: the client's added latency per token event.</item>
/// <item><see cref="FirstOfRead"/> / <see cref="LaterInRead"/>: events that came first in their read,
/// and those that came with an earlier event of the same stream in one read (they waited in the
/// socket for the client to read that stream again).</item>
/// <item>Bursts: an engine step makes a token for every running stream at once, and the server sends
/// them one after another; events sent less than <c>burstGapMs</c> apart are one burst.
/// <see cref="FirstOfBurst"/> is the lag of each burst's first event, which finds the client idle: what
/// the path from send(2) to the client's clock costs, with no queueing. The other events of a burst
/// also wait while the client handles those before them, which any one-core client must do when it
/// handles events more slowly than the server sends them (<see cref="ClientSpanMs"/> longer than
/// <see cref="ServerSpanMs"/>).</item>
/// </list>
/// </summary>
public sealed record EventLag(
    Distribution All,
    Distribution? FirstOfRead,
    Distribution? LaterInRead,
    int Bursts,
    Distribution? FirstOfBurst,
    double? BurstSize,
    double? ServerSpanMs,
    double? ClientSpanMs)
{
    public static EventLag? Of(IReadOnlyList<StampedEvent> events, double burstGapMs = 1.0)
    {
        var all = Distribution.Of([.. events.Select(e => e.LagMs)]);
        if (all is null)
            return null;
        var first = Distribution.Of([.. events.Where(e => e.FirstOfRead).Select(e => e.LagMs)]);
        var later = Distribution.Of([.. events.Where(e => !e.FirstOfRead).Select(e => e.LagMs)]);

        var bursts = new List<List<StampedEvent>>();
        foreach (var e in events.OrderBy(e => e.SentMs))
        {
            if (bursts.Count == 0 || e.SentMs - bursts[^1][^1].SentMs > burstGapMs)
                bursts.Add([]);
            bursts[^1].Add(e);
        }
        // One long run is no burst structure (a saturated phase): say nothing about bursts.
        if (bursts.Count < 3)
            return new EventLag(all, first, later, bursts.Count, null, null, null, null);
        // The first and last bursts may be cut by the window's edges.
        var whole = bursts[1..^1];
        return new EventLag(
            all, first, later, whole.Count,
            Distribution.Of([.. whole.Select(b => b[0].LagMs)]),
            Median(whole.Select(b => (double)b.Count)),
            Median(whole.Select(b => b[^1].SentMs - b[0].SentMs)),
            Median(whole.Select(b => b.Max(e => e.ReceivedMs) - b.Min(e => e.ReceivedMs))));
    }

    private static double? Median(IEnumerable<double> values) => Distribution.Of([.. values])?.P50;
}
