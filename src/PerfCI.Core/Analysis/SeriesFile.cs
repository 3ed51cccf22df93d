using System.Globalization;
using System.Text.Json;
using PerfCI.Core.Importers;

namespace PerfCI.Core.Analysis;

/// <summary>
/// A series written by hand or exported from elsewhere, for <c>perfci analyze</c>. Points in order,
/// each one value or the samples of its trials, commit ids optional:
/// <list type="bullet">
/// <item>CSV, header optional: a <c>commit</c> (or <c>sha</c>, <c>revision</c>) column, and every other
/// column a sample (empty cells skipped, so rows may have different trial counts). Without a header, a
/// first column that is not a number is the commit.</item>
/// <item>JSON: an array of numbers, an array of arrays of numbers, or an array of objects
/// <c>{"commit": "...", "samples": [...]}</c> or <c>{"commit": "...", "value": ...}</c>; JSON Lines of
/// such objects too.</item>
/// </list>
/// Errors name the file and the line (CSV) or the field path (JSON).
/// </summary>
public static class SeriesFile
{
    private static readonly string[] CommitColumns = ["commit", "sha", "revision", "commit_id", "commit_sha"];

    public static IReadOnlyList<SeriesPoint> Parse(string fileName, string content)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(content);
        if (string.IsNullOrWhiteSpace(content))
            throw new ImportException(fileName, null, null, "the file is empty");
        var first = content.TrimStart()[0];
        var points = first is '[' or '{' ? ParseJson(fileName, content) : ParseCsv(fileName, content);
        return points.Count > 0 ? points : throw new ImportException(fileName, null, null, "the file has no points");
    }

    private static List<SeriesPoint> ParseJson(string fileName, string content)
    {
        var values = JsonRecords.Read(fileName, content);
        var items = values.Count == 1 && values[0].Kind == JsonValueKind.Array ? values[0].Items().ToList() : values;
        var points = new List<SeriesPoint>(items.Count);
        foreach (var item in items)
        {
            var commit = "";
            double[] samples;
            switch (item.Kind)
            {
                case JsonValueKind.Number or JsonValueKind.String:
                    samples = [FiniteNumber(item)];
                    break;
                case JsonValueKind.Array:
                    samples = Samples(item);
                    break;
                case JsonValueKind.Object:
                    commit = item.String("commit") ?? item.String("sha") ?? "";
                    var hasSamples = item.Get("samples") is not null;
                    var hasValue = item.Get("value") is not null;
                    if (hasSamples == hasValue)
                        throw item.Error("expected either \"samples\" (the trials) or \"value\" (one number)");
                    samples = hasSamples ? Samples(item.Required("samples")) : [FiniteNumber(item.Required("value"))];
                    break;
                default:
                    throw item.Error($"expected a number, an array of samples or a point object, was {JsonField.Describe(item.Element)}");
            }
            points.Add(new SeriesPoint(commit, samples));
        }
        return points;
    }

    private static double[] Samples(JsonField array)
    {
        var samples = array.Items().Select(FiniteNumber).ToArray();
        return samples.Length > 0 ? samples : throw array.Error("expected at least one sample");
    }

    private static double FiniteNumber(JsonField field)
    {
        var value = field.AsNumber();
        return double.IsFinite(value) ? value : throw field.Error($"expected a finite number, was {JsonField.Describe(field.Element)}");
    }

    private static List<SeriesPoint> ParseCsv(string fileName, string content)
    {
        var records = CsvTable.ReadRecords(fileName, content);
        var header = records[0].Fields.All(f => !IsNumber(f)) ? records[0].Fields : null;
        var rows = header is null ? records : records.Skip(1).ToList();
        if (rows.Count == 0)
            throw new ImportException(fileName, null, null, "the file has a header but no points");

        int? commitColumn = null;
        if (header is not null)
        {
            var index = header.FindIndex(h => CommitColumns.Contains(h.Trim().ToLowerInvariant()));
            commitColumn = index >= 0 ? index : null;
        }
        else if (!IsNumber(rows[0].Fields[0]))
        {
            commitColumn = 0;
        }

        var points = new List<SeriesPoint>(rows.Count);
        foreach (var (line, fields) in rows)
        {
            if (header is not null && fields.Count > header.Count)
                throw new ImportException(fileName, line, null, $"expected at most {header.Count} fields as in the header, found {fields.Count}");
            var samples = new List<double>(fields.Count);
            for (var column = 0; column < fields.Count; column++)
            {
                if (column == commitColumn)
                    continue;
                var text = fields[column].Trim();
                if (text.Length == 0)
                    continue;
                var name = header is not null ? header[column].Trim() : $"column {column + 1}";
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                    throw new ImportException(fileName, line, name, $"expected a finite number, was {JsonField.Quote(text)}");
                samples.Add(value);
            }
            if (samples.Count == 0)
                throw new ImportException(fileName, line, null, "the point has no value");
            points.Add(new SeriesPoint(commitColumn is { } c && c < fields.Count ? fields[c].Trim() : "", samples));
        }
        return points;
    }

    private static bool IsNumber(string text) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}
