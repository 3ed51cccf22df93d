using System.Text.Json;
using System.Text.Json.Serialization;

namespace PerfCI.Core.Suites;

/// <summary>
/// Writes a dictionary's keys as they are, whatever the options' <see cref="JsonSerializerOptions.DictionaryKeyPolicy"/>:
/// environment variable names and metric names are data, and a snake_case key policy would turn
/// <c>VLLM_USE_V1</c> into <c>vllm_use_v1</c>.
/// </summary>
public sealed class VerbatimKeysConverter<TValue> : JsonConverter<IReadOnlyDictionary<string, TValue>>
{
    public override IReadOnlyDictionary<string, TValue> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("Expected an object.");
        var result = new Dictionary<string, TValue>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var key = reader.GetString()!;
            reader.Read();
            result[key] = JsonSerializer.Deserialize<TValue>(ref reader, options)!;
        }
        return result;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, TValue> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (key, item) in value)
        {
            writer.WritePropertyName(key);
            JsonSerializer.Serialize(writer, item, options);
        }
        writer.WriteEndObject();
    }
}
