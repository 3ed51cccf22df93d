using PerfCI.Bench.Client;

namespace PerfCI.Bench.Load;

/// <summary>One request to send: its body and what it asked for.</summary>
public sealed record PlannedRequest(int Index, byte[] Body, int PromptTokens, int OutputTokens);

/// <summary>
/// Deterministic prompts from a seed: words of a small vocabulary, one word per intended token
/// (exact against the simulated engine; for a real tokenizer the server's usage gives the true count).
/// </summary>
public static class PromptFactory
{
    private static readonly string[] Vocabulary =
    [
        "time", "model", "token", "system", "water", "light", "number", "people", "river", "engine",
        "memory", "signal", "garden", "market", "winter", "energy", "window", "planet", "silver", "matter",
    ];

    public static List<PlannedRequest> Plan(ScenarioSpec spec, int count, int seed)
    {
        var random = new Random(seed);
        var workload = spec.Workload;
        var prefix = workload.SharedPrefixTokens > 0 ? Words(new Random(workload.Seed), workload.SharedPrefixTokens) + " " : "";
        var requests = new List<PlannedRequest>(count);
        for (var i = 0; i < count; i++)
        {
            var output = Length(random, workload.OutputTokens, workload.RangeRatio);
            string prompt;
            int promptTokens;
            if (workload.Prompts is { Count: > 0 } prompts)
            {
                var chosen = prompts[random.Next(prompts.Count)];
                prompt = chosen.Prompt;
                promptTokens = prompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
                output = chosen.OutputTokens ?? output;
            }
            else
            {
                var input = Math.Max(1, Length(random, workload.InputTokens, workload.RangeRatio) - workload.SharedPrefixTokens);
                prompt = prefix + Words(random, input);
                promptTokens = input + workload.SharedPrefixTokens;
            }
            var body = spec.Endpoint == Endpoint.Chat
                ? RequestBodies.Chat(spec.Model, prompt, output, spec.ExactOutputLength, spec.ContinuousUsage)
                : RequestBodies.Completion(spec.Model, prompt, output, spec.ExactOutputLength, spec.ContinuousUsage);
            requests.Add(new PlannedRequest(i, body, promptTokens, output));
        }
        return requests;
    }

    private static int Length(Random random, int length, double rangeRatio)
    {
        if (rangeRatio <= 0)
            return length;
        var low = Math.Max(1, (int)Math.Floor(length * (1 - rangeRatio)));
        var high = Math.Max(low, (int)Math.Ceiling(length * (1 + rangeRatio)));
        return random.Next(low, high + 1);
    }

    private static string Words(Random random, int count) =>
        string.Join(' ', Enumerable.Range(0, count).Select(_ => Vocabulary[random.Next(Vocabulary.Length)]));
}
