using System.Diagnostics;

namespace PerfCI.Bench.Client;

public enum RequestOutcome
{
    Completed,
    /// <summary>An HTTP error, an error event inside the stream, a connection that never answered.</summary>
    Failed,
    /// <summary>Tokens arrived, then the stream ended without its end marker (truncated).</summary>
    Incomplete,
}

/// <summary>A streamed event that carried generated tokens, timed when its bytes arrived.</summary>
public readonly record struct TokenEvent(double AtMs, int Tokens);

/// <summary>
/// When the server was about to send a token event (its stamp, on this run's clock: the machine's
/// monotonic clock is shared by both processes), and whether the event was the first of the read
/// that brought it (the others of that read waited for it in the socket).
/// </summary>
public readonly record struct ServerStamp(double SentMs, bool FirstOfRead);

/// <summary>
/// Everything that happened to one request, on one monotonic clock (milliseconds since the run's
/// origin), so that any metric can be recomputed from it later.
/// </summary>
public sealed class RequestRecord
{
    public int Index { get; init; }
    /// <summary>The server's id of the completion (the first chunk's <c>id</c>), to find it in the server's logs.</summary>
    public string? ResponseId { get; set; }
    public int PromptTokensSent { get; init; }
    public int OutputTokensRequested { get; init; }
    public double SentMs { get; set; }
    public double? HeadersMs { get; set; }
    public double EndMs { get; set; }
    public List<TokenEvent> TokenEvents { get; } = [];
    /// <summary>
    /// Only against a server that stamps its events (the simulated engine, for the ceiling benchmark):
    /// for each of <see cref="TokenEvents"/>, in order, when the server was about to send it.
    /// </summary>
    public List<ServerStamp>? ServerStamps { get; set; }
    /// <summary>Every data event, token-carrying or not (role-only, usage-only).</summary>
    public int DataEvents { get; set; }
    public int? UsagePromptTokens { get; set; }
    public int? UsageCompletionTokens { get; set; }
    /// <summary>True when the server sent cumulative usage on every chunk (vLLM's continuous_usage_stats), so each event's token count is exact.</summary>
    public bool PerEventUsage { get; set; }
    public string? FinishReason { get; set; }
    public int? HttpStatus { get; set; }
    public RequestOutcome Outcome { get; set; }
    public string? FailureReason { get; set; }

    public int CountedTokens
    {
        get
        {
            var total = 0;
            foreach (var e in TokenEvents)
                total += e.Tokens;
            return total;
        }
    }

    /// <summary>Generated tokens: the server's usage when it gave one, else the counted events.</summary>
    public int OutputTokens => UsageCompletionTokens ?? CountedTokens;

    public int PromptTokens => UsagePromptTokens ?? PromptTokensSent;
}

/// <summary>The one clock of a run: Stopwatch ticks turned into milliseconds since an origin.</summary>
public readonly record struct MonotonicClock(long Origin)
{
    public static MonotonicClock Start() => new(Stopwatch.GetTimestamp());

    public double NowMs => (Stopwatch.GetTimestamp() - Origin) * 1000.0 / Stopwatch.Frequency;

    public double ToMs(long timestamp) => (timestamp - Origin) * 1000.0 / Stopwatch.Frequency;
}
