using System.Text.Json;

namespace PerfCI.Bench.Load;

/// <summary>A prompt from a data set, with the output length its reference answer had (when known).</summary>
public sealed record DatasetPrompt(string Prompt, int? OutputTokens);

/// <summary>
/// Reads prompts: ShareGPT (a JSON array, or JSON Lines, of records with <c>conversations</c>: the
/// first human turn is the prompt, the next assistant turn's length the output length, as vLLM's
/// ShareGPT loader does) or plain JSON Lines of <c>{"prompt": "...", "output_tokens": N}</c>.
/// Errors name the file, the line and the field.
/// </summary>
public static class PromptsFile
{
    public static IReadOnlyList<DatasetPrompt> Load(string path)
    {
        var name = Path.GetFileName(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{name}: cannot read the prompts file: {e.Message}");
        }
        var prompts = new List<DatasetPrompt>();
        if (text.TrimStart().StartsWith('['))
        {
            using var document = Parse(text, name, null);
            var index = 0;
            foreach (var record in document.RootElement.EnumerateArray())
                Add(prompts, record, $"{name}: [{index++}]");
        }
        else
        {
            var lines = text.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(lines[i]))
                    continue;
                using var document = Parse(lines[i], name, i + 1);
                Add(prompts, document.RootElement, $"{name}:{i + 1}:");
            }
        }
        return prompts.Count > 0 ? prompts : throw new FormatException($"{name}: no prompts found");
    }

    private static JsonDocument Parse(string json, string name, int? line)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            var where = line is { } l ? $":{l}" : e.LineNumber is { } n ? $":{n + 1}" : "";
            throw new FormatException($"{name}{where}: not valid JSON: {e.Message.Split(" Path:")[0]}");
        }
    }

    private static void Add(List<DatasetPrompt> prompts, JsonElement record, string at)
    {
        if (record.ValueKind != JsonValueKind.Object)
            throw new FormatException($"{at} expected an object");
        if (record.TryGetProperty("prompt", out var prompt))
        {
            if (prompt.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(prompt.GetString()))
                throw new FormatException($"{at} prompt: expected a non-empty string");
            int? output = null;
            if (record.TryGetProperty("output_tokens", out var tokens))
            {
                if (tokens.ValueKind != JsonValueKind.Number || !tokens.TryGetInt32(out var value) || value < 1)
                    throw new FormatException($"{at} output_tokens: expected a positive integer");
                output = value;
            }
            prompts.Add(new DatasetPrompt(prompt.GetString()!, output));
            return;
        }
        if (!record.TryGetProperty("conversations", out var conversation) || conversation.ValueKind != JsonValueKind.Array)
            throw new FormatException($"{at} expected 'prompt' or ShareGPT 'conversations'");
        var turns = conversation.EnumerateArray().ToList();
        // ShareGPT records with fewer than two turns are skipped, as vLLM does.
        if (turns.Count < 2)
            return;
        var human = Value(turns[0], $"{at} conversations[0]");
        var answer = Value(turns[1], $"{at} conversations[1]");
        if (string.IsNullOrWhiteSpace(human))
            return;
        var words = answer.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        prompts.Add(new DatasetPrompt(human, Math.Max(1, words)));
    }

    private static string Value(JsonElement turn, string at) =>
        turn.ValueKind == JsonValueKind.Object && turn.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new FormatException($"{at}.value: expected a string");
}
