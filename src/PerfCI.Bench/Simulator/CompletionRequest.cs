using System.Text.Json;

namespace PerfCI.Bench.Simulator;

/// <summary>The parts of an OpenAI completion request that the simulated engine acts on.</summary>
internal sealed record CompletionRequest(int PromptTokens, int MaxTokens, bool Stream, bool IncludeUsage, bool ContinuousUsage)
{
    public static CompletionRequest Parse(JsonElement body, bool chat, EngineModel model)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new InvalidRequestException("The body must be a JSON object.", null);

        var promptTokens = chat ? CountMessages(body) : CountPrompt(body);
        var maxTokens = model.DefaultMaxTokens;
        foreach (var name in new[] { "max_tokens", "max_completion_tokens" })
        {
            if (body.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out maxTokens) || maxTokens < 1)
                    throw new InvalidRequestException($"{name} must be a positive integer.", name);
            }
        }
        var stream = body.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;
        var includeUsage = body.TryGetProperty("stream_options", out var options)
            && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
        // vLLM's extension: cumulative usage on every chunk.
        var continuousUsage = includeUsage
            && options.TryGetProperty("continuous_usage_stats", out var continuous) && continuous.ValueKind == JsonValueKind.True;
        return new CompletionRequest(promptTokens, maxTokens, stream, includeUsage, continuousUsage);
    }

    private static int CountPrompt(JsonElement body)
    {
        if (!body.TryGetProperty("prompt", out var prompt))
            throw new InvalidRequestException("prompt is required.", "prompt");
        return prompt.ValueKind switch
        {
            JsonValueKind.String => Words(prompt.GetString()),
            // A list of token ids, or a batch of one or more strings.
            JsonValueKind.Array => prompt.EnumerateArray().Sum(item => item.ValueKind switch
            {
                JsonValueKind.Number => 1,
                JsonValueKind.String => Words(item.GetString()),
                _ => throw new InvalidRequestException("prompt must be a string, a list of strings or a list of token ids.", "prompt"),
            }),
            _ => throw new InvalidRequestException("prompt must be a string, a list of strings or a list of token ids.", "prompt"),
        };
    }

    private static int CountMessages(JsonElement body)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
            throw new InvalidRequestException("messages must be a non-empty list.", "messages");
        var tokens = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
                throw new InvalidRequestException("every message needs a content.", "messages");
            tokens += content.ValueKind switch
            {
                JsonValueKind.String => Words(content.GetString()),
                JsonValueKind.Array => content.EnumerateArray()
                    .Sum(part => part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String ? Words(text.GetString()) : 0),
                JsonValueKind.Null => 0,
                _ => throw new InvalidRequestException("message content must be a string or a list of parts.", "messages"),
            };
        }
        return tokens;
    }

    private static int Words(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return 0;
        var count = 0;
        var inWord = false;
        foreach (var c in text)
        {
            var space = char.IsWhiteSpace(c);
            if (!space && !inWord)
                count++;
            inWord = !space;
        }
        return count;
    }
}

internal sealed class InvalidRequestException(string message, string? param) : Exception(message)
{
    public string? Param { get; } = param;
}
