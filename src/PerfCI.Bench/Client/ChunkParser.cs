using System.Text;
using System.Text.Json;

namespace PerfCI.Bench.Client;

/// <summary>What one streamed JSON chunk of an OpenAI-compatible server says.</summary>
public readonly record struct Chunk(
    int TextLength,
    bool HasChoice,
    string? FinishReason,
    int? PromptTokens,
    int? CompletionTokens,
    string? Error,
    string? Id = null,
    long? ServerTimestamp = null);

/// <summary>
/// Reads the few fields PerfCI needs from a completion chunk without building a DOM: the first
/// choice's text (completions) or delta content (chat, including reasoning content), its finish
/// reason, the usage, and an error object.
/// </summary>
public static class ChunkParser
{
    /// <param name="readId">Also read the response id (done for the first chunk only: it allocates).</param>
    public static Chunk Parse(ReadOnlySpan<byte> json, bool readId = false)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true });
        int textLength = 0;
        var hasChoice = false;
        string? finish = null, error = null, id = null;
        long? serverTimestamp = null;
        int? prompt = null, completion = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("a chunk must be a JSON object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                {
                    reader.Skip();
                    continue;
                }
                var index = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (index++ == 0 && reader.TokenType == JsonTokenType.StartObject)
                    {
                        hasChoice = true;
                        ReadChoice(ref reader, ref textLength, ref finish);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject)
                    ReadUsage(ref reader, ref prompt, ref completion);
                else
                    reader.Skip();
            }
            else if (readId && reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("perfci_ts"u8))
            {
                reader.Read();
                serverTimestamp = reader.TokenType == JsonTokenType.Number ? reader.GetInt64() : null;
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = ReadError(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return new Chunk(textLength, hasChoice, finish, prompt, completion, error, id, serverTimestamp);
    }

    private static void ReadChoice(ref Utf8JsonReader reader, ref int textLength, ref string? finish)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                textLength += StringLength(ref reader);
            }
            else if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("reasoning"u8))
                    {
                        reader.Read();
                        textLength += StringLength(ref reader);
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else if (reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                finish = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static void ReadUsage(ref Utf8JsonReader reader, ref int? prompt, ref int? completion)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                reader.Read();
                prompt = reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : null;
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                reader.Read();
                completion = reader.TokenType == JsonTokenType.Number ? reader.GetInt32() : null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static string ReadError(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
            return reader.GetString() ?? "error";
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return "error";
        }
        string? message = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        return message ?? "error";
    }

    /// <summary>Length of a string value, 0 for null; escapes are not decoded: only emptiness matters.</summary>
    private static int StringLength(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.HasValueSequence ? (int)reader.ValueSequence.Length : reader.ValueSpan.Length,
        JsonTokenType.Null => 0,
        _ => Skip(ref reader),
    };

    private static int Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return 0;
    }

    internal static string Describe(ReadOnlySpan<byte> json) =>
        json.Length <= 200 ? Encoding.UTF8.GetString(json) : Encoding.UTF8.GetString(json[..200]) + "...";
}
