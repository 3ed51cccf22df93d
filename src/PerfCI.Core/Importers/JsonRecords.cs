using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PerfCI.Core.Importers;

/// <summary>
/// Reads a JSON file or a JSON Lines file (one value per line, or values one after another) into its
/// top-level values, each with the line it starts on. Python's <c>json</c> writes bare
/// <c>Infinity</c> and <c>NaN</c>, which are not JSON; they are read as the strings "Infinity" and "NaN".
/// </summary>
internal static class JsonRecords
{
    private static readonly JsonReaderOptions Options = new()
    {
        AllowMultipleValues = true,
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>
    /// The top-level values. Their locations carry the line number when the file has lines that
    /// matter: a <c>.jsonl</c> file, or more than one value.
    /// </summary>
    public static List<JsonField> Read(string fileName, string content)
    {
        if (string.IsNullOrWhiteSpace(content))
            throw new ImportException(fileName, null, null, "the file is empty");

        var text = QuoteNonFiniteLiterals(content);
        var values = LooksLikeJsonLines(fileName, text) ? ReadLines(fileName, text) : ReadValues(fileName, text, 1);
        var showLines = values.Count > 1 || IsJsonLines(fileName);
        return [.. values.Select(v => new JsonField(v.Value, "", new ImportLocation(fileName, showLines ? v.Line : null)))];
    }

    /// <summary>
    /// One value a line, read line by line so that a broken line is reported as itself and not as
    /// the start of the next. A value that spans lines is not JSON Lines.
    /// </summary>
    private static List<(JsonElement Value, int Line)> ReadLines(string fileName, string text)
    {
        var values = new List<(JsonElement, int)>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (!string.IsNullOrWhiteSpace(lines[i]))
                values.AddRange(ReadValues(fileName, lines[i], i + 1));
        }
        return values;
    }

    /// <summary>Every JSON value in <paramref name="text"/>, which starts on line <paramref name="firstLine"/> of the file.</summary>
    private static List<(JsonElement Value, int Line)> ReadValues(string fileName, string text, int firstLine)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var values = new List<(JsonElement, int)>();
        var reader = new Utf8JsonReader(bytes, Options);
        try
        {
            while (reader.Read())
            {
                var line = firstLine + bytes.AsSpan(0, (int)reader.TokenStartIndex).Count((byte)'\n');
                using var document = JsonDocument.ParseValue(ref reader);
                values.Add((document.RootElement.Clone(), line));
            }
        }
        catch (JsonException e)
        {
            var message = e.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0)
                message = message[..cut];
            throw new ImportException(fileName, firstLine + (int)(e.LineNumber ?? 0), null, $"not valid JSON: {message}", e);
        }
        return values;
    }

    /// <summary>A <c>.jsonl</c> file, or one whose first line is a whole JSON object followed by more lines.</summary>
    private static bool LooksLikeJsonLines(string fileName, string text)
    {
        if (IsJsonLines(fileName))
            return true;
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 1 && lines[0].StartsWith('{') && lines[0].EndsWith('}') && lines[1].StartsWith('{');
    }

    /// <summary>The one top-level value of a JSON file.</summary>
    public static JsonField ReadSingle(string fileName, string content)
    {
        var values = Read(fileName, content);
        return values.Count == 1
            ? values[0]
            : throw new ImportException(fileName, values[1].Location.Line, null, "expected one JSON document, found more after it");
    }

    public static bool IsJsonLines(string fileName) =>
        fileName.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);

    private static readonly SearchValues<char> LiteralStarts = SearchValues.Create("\"NI-");

    /// <summary>Turns bare NaN, Infinity and -Infinity outside strings into strings; keeps every newline.</summary>
    internal static string QuoteNonFiniteLiterals(string json)
    {
        if (!json.Contains("NaN", StringComparison.Ordinal) && !json.Contains("Infinity", StringComparison.Ordinal))
            return json;
        var builder = new StringBuilder(json.Length + 16);
        var i = 0;
        while (i < json.Length)
        {
            var next = json.AsSpan(i).IndexOfAny(LiteralStarts);
            if (next < 0)
            {
                builder.Append(json, i, json.Length - i);
                break;
            }
            builder.Append(json, i, next);
            i += next;
            if (json[i] == '"')
            {
                var end = EndOfString(json, i);
                builder.Append(json, i, end - i);
                i = end;
            }
            else if (Literal(json, i, "NaN") || Literal(json, i, "Infinity") || Literal(json, i, "-Infinity"))
            {
                var length = json[i] == 'N' ? 3 : json[i] == 'I' ? 8 : 9;
                builder.Append('"').Append(json, i, length).Append('"');
                i += length;
            }
            else
            {
                builder.Append(json[i]);
                i++;
            }
        }
        return builder.ToString();
    }

    private static bool Literal(string json, int at, string literal) =>
        string.CompareOrdinal(json, at, literal, 0, literal.Length) == 0;

    /// <summary>The index just after the string that starts at <paramref name="start"/> (or the end of the text).</summary>
    private static int EndOfString(string json, int start)
    {
        for (var i = start + 1; i < json.Length; i++)
        {
            if (json[i] == '\\')
                i++;
            else if (json[i] == '"')
                return i + 1;
        }
        return json.Length;
    }
}
