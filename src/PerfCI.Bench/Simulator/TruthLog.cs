using System.Collections.Concurrent;

namespace PerfCI.Bench.Simulator;

/// <summary>
/// What the simulated engine really did for each request, on the Stopwatch clock: when the request
/// arrived and when each token-carrying event was written to the connection. Tests compare a
/// client's measurements with it; the engine keeps it only when asked to.
/// </summary>
public sealed class TruthLog
{
    private readonly ConcurrentDictionary<string, RequestTruth> _requests = new(StringComparer.Ordinal);

    public RequestTruth Start(string id, long arrived) => _requests[id] = new RequestTruth(id, arrived);

    public RequestTruth? Find(string id) => _requests.GetValueOrDefault(id);

    public int Count => _requests.Count;
}

public sealed class RequestTruth(string id, long arrived)
{
    public string Id { get; } = id;
    public long Arrived { get; } = arrived;
    /// <summary>(Stopwatch timestamp after the event was flushed, tokens it carried).</summary>
    public List<(long Written, int Tokens)> Events { get; } = [];
    public long Ended { get; set; }
}
