namespace PerfCI.Bench.Metrics;

/// <summary>Service-level objectives for goodput: a request counts only when every one that is set holds.</summary>
public sealed record Slo(double? TtftMs = null, double? TpotMs = null, double? E2eMs = null, double? ItlMs = null)
{
    public bool IsEmpty => TtftMs is null && TpotMs is null && E2eMs is null && ItlMs is null;

    /// <summary>ITL holds when the request's slowest token gap is within the objective.</summary>
    public bool Holds(RequestMetrics request) =>
        (TtftMs is not { } ttft || request.TtftMs <= ttft)
        && (TpotMs is not { } tpot || (request.TpotMs ?? 0) <= tpot)
        && (E2eMs is not { } e2e || request.E2eMs <= e2e)
        && (ItlMs is not { } itl || request.ItlMs.Count == 0 || request.ItlMs.Max() <= itl);
}
