using System.Globalization;
using System.Text.Json;

namespace PerfCI.Core.Importers;

/// <summary>
/// A JSON value with the path it was found at, so that every read can fail with a message naming
/// the file, line and field. Null counts as absent. <see cref="Key"/> is the property name it was
/// read from (empty for an array item or the top level).
/// </summary>
internal readonly record struct JsonField(JsonElement Element, string Path, ImportLocation Location, string Key = "")
{
    public JsonValueKind Kind => Element.ValueKind;

    public string Name => Path.Length == 0 ? "(top level)" : Path;

    public JsonField? Get(string name)
    {
        if (Element.ValueKind != JsonValueKind.Object)
            throw Error($"expected an object, was {Describe(Element)}");
        return Element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? new JsonField(value, Child(name), Location, name)
            : null;
    }

    public bool Has(string name) => Element.ValueKind == JsonValueKind.Object && Get(name) is not null;

    public JsonField Required(string name) =>
        Get(name) ?? throw Location.Error(Child(name), "required field is missing");

    public double? Number(string name) => Get(name)?.AsNumber();

    public double RequiredNumber(string name) => Required(name).AsNumber();

    public int? Int(string name) => Get(name)?.AsInt();

    public string? String(string name) => Get(name)?.AsString();

    public ImportException Error(string problem) => Location.Error(Name, problem);

    /// <summary>A number; also a string holding one, and "inf", "Infinity" or "NaN" as Python writes them.</summary>
    public double AsNumber()
    {
        switch (Element.ValueKind)
        {
            case JsonValueKind.Number:
                return Element.GetDouble();
            case JsonValueKind.String:
                var text = Element.GetString()!.Trim();
                if (ParseSpecial(text) is { } special)
                    return special;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    return value;
                break;
        }
        throw Error($"expected a number, was {Describe(Element)}");
    }

    public int AsInt()
    {
        var value = AsNumber();
        return value is >= int.MinValue and <= int.MaxValue && Math.Floor(value) == value
            ? (int)value
            : throw Error($"expected a whole number, was {Describe(Element)}");
    }

    /// <summary>A string; a number or boolean is taken as its JSON text (build numbers, flags).</summary>
    public string AsString() => Element.ValueKind switch
    {
        JsonValueKind.String => Element.GetString()!,
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => Element.GetRawText(),
        _ => throw Error($"expected a string, was {Describe(Element)}"),
    };

    public IEnumerable<JsonField> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array)
            throw Error($"expected an array, was {Describe(Element)}");
        var index = 0;
        foreach (var item in Element.EnumerateArray())
            yield return new JsonField(item, $"{Path}[{index++}]", Location);
    }

    public IEnumerable<JsonField> Properties()
    {
        if (Element.ValueKind != JsonValueKind.Object)
            throw Error($"expected an object, was {Describe(Element)}");
        foreach (var property in Element.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Null)
                yield return new JsonField(property.Value, Child(property.Name), Location, property.Name);
        }
    }

    private string Child(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    internal static double? ParseSpecial(string text) => text.ToLowerInvariant() switch
    {
        "inf" or "+inf" or "infinity" or "+infinity" => double.PositiveInfinity,
        "-inf" or "-infinity" => double.NegativeInfinity,
        "nan" => double.NaN,
        _ => null,
    };

    internal static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => Quote(element.GetString()!),
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Null => "null",
        _ => element.GetRawText(),
    };

    internal static string Quote(string text) =>
        text.Length <= 40 ? $"\"{text}\"" : $"\"{text[..40]}...\"";
}
