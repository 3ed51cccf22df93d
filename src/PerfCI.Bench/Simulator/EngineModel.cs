using System.Text.Json;
using System.Text.Json.Serialization;

namespace PerfCI.Bench.Simulator;

/// <summary>
/// The latency model of the simulated engine. The engine runs in steps, like a continuously
/// batching server: every step advances each running sequence by one token and costs
/// <c>DecodeMsPerStep + DecodeMsPerSequence x running</c>, plus the prefill of every request
/// admitted in that step (<c>PrefillOverheadMs + PrefillMsPerToken x prompt tokens</c>). A request
/// admitted in a step gets its first token at the end of that step. At most <see cref="MaxBatch"/>
/// sequences run; the rest wait in arrival order.
/// </summary>
public sealed record EngineModel
{
    public string Model { get; init; } = "perfci-sim";
    public double PrefillMsPerToken { get; init; }
    public double PrefillOverheadMs { get; init; }
    public double DecodeMsPerStep { get; init; }
    public double DecodeMsPerSequence { get; init; }
    public int MaxBatch { get; init; } = 256;
    /// <summary>Relative standard deviation of each step's duration (0.02 = 2%), normally distributed, floored at 0.</summary>
    public double Jitter { get; init; }
    /// <summary>Fraction of requests that fail with an error event inside their 200 stream.</summary>
    public double FailureRate { get; init; }
    /// <summary>Tokens per streamed event: greater than 1 simulates engines that batch tokens into chunks.</summary>
    public int TokensPerEvent { get; init; } = 1;
    public int DefaultMaxTokens { get; init; } = 128;
    /// <summary>When set, outputs stop at this many tokens whatever was asked (an engine that ignores ignore_eos).</summary>
    public int? OutputTokensCap { get; init; }
    /// <summary>Time from start until /health answers 200 (a cold start to measure).</summary>
    public double StartupDelayMs { get; init; }
    /// <summary>Leave usage out of the stream even when include_usage is asked for.</summary>
    public bool OmitUsage { get; init; }
    /// <summary>
    /// When set, the engine serves this many completion requests and dies on the next one: a last
    /// line on stderr, then the process exits with code 1 at once, as an engine hitting a CUDA
    /// error or an assertion would. For testing what happens to a run whose engine crashes.
    /// </summary>
    public int? CrashAfterRequests { get; init; }
    public int Seed { get; init; } = 42;

    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Reads and validates a model file; errors name the file, the line and the field.</summary>
    public static EngineModel Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EngineModelException($"{path}: cannot read the engine model: {e.Message}");
        }
        return Parse(text, path);
    }

    public static EngineModel Parse(string json, string source)
    {
        EngineModel? model;
        try
        {
            model = JsonSerializer.Deserialize<EngineModel>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $":{line + 1}" : "";
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" {e.Path.TrimStart('$', '.')}:";
            var reason = e.Message.Contains("could not be mapped", StringComparison.Ordinal)
                ? "unknown field (see EngineModel in the README for the fields)"
                : e.Message.Split(" Path:")[0];
            throw new EngineModelException($"{source}{where}:{field} {reason}");
        }
        if (model is null)
            throw new EngineModelException($"{source}: expected a JSON object with the engine model.");
        var errors = model.Validate();
        return errors.Count == 0 ? model : throw new EngineModelException($"{source}: {string.Join("; ", errors)}");
    }

    public List<string> Validate()
    {
        var errors = new List<string>();
        void NonNegative(double value, string name)
        {
            if (!(value >= 0) || double.IsInfinity(value))
                errors.Add($"{name}: must be a finite number >= 0, was {value}");
        }
        NonNegative(PrefillMsPerToken, "prefillMsPerToken");
        NonNegative(PrefillOverheadMs, "prefillOverheadMs");
        NonNegative(DecodeMsPerStep, "decodeMsPerStep");
        NonNegative(DecodeMsPerSequence, "decodeMsPerSequence");
        NonNegative(Jitter, "jitter");
        NonNegative(StartupDelayMs, "startupDelayMs");
        if (MaxBatch < 1)
            errors.Add($"maxBatch: must be at least 1, was {MaxBatch}");
        if (!(FailureRate is >= 0 and <= 1))
            errors.Add($"failureRate: must be between 0 and 1, was {FailureRate}");
        if (TokensPerEvent < 1)
            errors.Add($"tokensPerEvent: must be at least 1, was {TokensPerEvent}");
        if (DefaultMaxTokens < 1)
            errors.Add($"defaultMaxTokens: must be at least 1, was {DefaultMaxTokens}");
        if (OutputTokensCap is < 1)
            errors.Add($"outputTokensCap: must be at least 1 when set, was {OutputTokensCap}");
        if (CrashAfterRequests is < 0)
            errors.Add($"crashAfterRequests: must be at least 0 when set, was {CrashAfterRequests}");
        if (string.IsNullOrWhiteSpace(Model))
            errors.Add("model: must not be empty");
        return errors;
    }

    /// <summary>Cost of one step in milliseconds before jitter.</summary>
    public double StepMs(int running, IEnumerable<int> admittedPromptTokens) =>
        DecodeMsPerStep + DecodeMsPerSequence * running
        + admittedPromptTokens.Sum(p => PrefillOverheadMs + PrefillMsPerToken * p);
}

public sealed class EngineModelException(string message) : Exception(message);
