using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;
using PerfCI.Core.Importers;

namespace PerfCI.Server.Hosting;

/// <summary>
/// <c>perfci analyze FILE</c>: change points of one series read from a file, for people who want the
/// analysis alone (as Otava's CLI offers). No database, no configuration: it never builds a host.
/// Options are taken as text and checked here, so that every bad input ends the same way: one line
/// naming what is wrong and <see cref="ExitCodes.BadInput"/>.
/// </summary>
internal static class AnalyzeCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "The series: CSV (commit optional, one column per trial) or JSON (numbers, arrays of samples, or {\"commit\", \"samples\"|\"value\"} objects), points in commit order." };
        var direction = new Option<string>("--direction") { Description = "lower (latency, memory) or higher (throughput) is better.", DefaultValueFactory = _ => "lower" };
        var json = new Option<bool>("--json") { Description = "Print {\"change_points\": [...]} instead of a table." };
        var threshold = new Option<string?>("--threshold") { Description = "Smallest relative change to report, e.g. 0.03 or 3% (default: from the series' noise alone)." };
        var pValue = new Option<string?>("--p-value") { Description = "Significance level (default 0.001)." };
        var minSegment = new Option<string?>("--min-segment") { Description = "Points needed on each side of a change (default 5)." };
        var window = new Option<string?>("--window") { Description = "Points compared on each side at most (default 30)." };
        var command = new Command("analyze", "Find the change points of a series in a CSV or JSON file (no database needed).")
        {
            file, direction, json, threshold, pValue, minSegment, window,
        };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var path = parse.GetValue(file)!;
            ChangePointOptions options;
            IReadOnlyList<SeriesPoint> series;
            try
            {
                var defaults = new ChangePointOptions();
                options = defaults with
                {
                    Direction = ParseDirection(parse.GetValue(direction)),
                    Threshold = ParseFraction("--threshold", parse.GetValue(threshold)),
                    PValue = ParseFraction("--p-value", parse.GetValue(pValue)) ?? defaults.PValue,
                    MinSegment = ParseCount("--min-segment", parse.GetValue(minSegment)) ?? defaults.MinSegment,
                    Window = ParseCount("--window", parse.GetValue(window)) ?? defaults.Window,
                };
                if (!path.Exists)
                    throw new ImportException(path.Name, null, null, "file not found");
                series = SeriesFile.Parse(path.Name, await File.ReadAllTextAsync(path.FullName, ct));
                // Checks the options together (the window must hold two minimum segments, ...).
                _ = new SeriesAnalyzer(options);
            }
            catch (Exception e) when (e is ImportException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                var message = e is ArgumentOutOfRangeException range ? $"--{Kebab(range.ParamName)}: {range.Message.Split(" (Parameter", 2)[0]}" : e.Message;
                await error.WriteLineAsync($"perfci analyze: {message}");
                return ExitCodes.BadInput;
            }

            var changes = ChangePointDetector.Detect(series, options);
            await output.WriteAsync(parse.GetValue(json) ? Json(changes) : Table(path.Name, series.Count, options, changes));
            return ExitCodes.Success;
        });
        return command;
    }

    private static MetricDirection ParseDirection(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "lower" or "lower-is-better" or "lower_is_better" => MetricDirection.LowerIsBetter,
        "higher" or "higher-is-better" or "higher_is_better" => MetricDirection.HigherIsBetter,
        _ => throw new ArgumentException($"--direction: expected lower or higher, was '{text}'"),
    };

    /// <summary>A fraction: 0.03, or 3% for the same.</summary>
    private static double? ParseFraction(string option, string? text)
    {
        if (text is null)
            return null;
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        if (!double.TryParse(percent ? trimmed[..^1] : trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            throw new ArgumentException($"{option}: expected a number such as 0.03 or 3%, was '{text}'");
        return percent ? value / 100 : value;
    }

    private static int? ParseCount(string option, string? text) => text is null
        ? null
        : int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{option}: expected a positive whole number, was '{text}'");

    private static string Kebab(string? name) =>
        string.Concat((name ?? "").Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(c) : c.ToString()));

    private static string Table(string name, int points, ChangePointOptions options, IReadOnlyList<DetectedChange> changes)
    {
        var text = new StringBuilder();
        var better = options.Direction == MetricDirection.LowerIsBetter ? "lower" : "higher";
        text.AppendLine(Invariant($"{name}: {points} points, {better} is better: {(changes.Count == 0 ? "no change points" : changes.Count == 1 ? "1 change point" : $"{changes.Count} change points")}"));
        if (changes.Count == 0)
            return text.ToString();
        text.AppendLine(Invariant($"{"index",6}  {"commit",-12}  {"magnitude",9}  {$"{options.ConfidenceLevel * 100:0}% interval",-20}  {"p-value",8}  {"kind",-11}  median before -> after"));
        foreach (var c in changes)
        {
            var commit = c.Commit.Length == 0 ? "-" : c.Commit.Length > 12 ? c.Commit[..12] : c.Commit;
            text.AppendLine(Invariant($"{c.Index,6}  {commit,-12}  {Percent(c.Magnitude),9}  {$"[{Percent(c.MagnitudeLower)}, {Percent(c.MagnitudeUpper)}]",-20}  {c.PValue,8:0.0e0}  {(c.Kind == ChangeKind.Regression ? "regression" : "improvement"),-11}  {c.Before.Median:G6} -> {c.After.Median:G6}"));
        }
        return text.ToString();
    }

    private static string Json(IReadOnlyList<DetectedChange> changes)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("change_points");
            foreach (var c in changes)
            {
                writer.WriteStartObject();
                writer.WriteNumber("index", c.Index);
                writer.WriteString("commit", c.Commit);
                writer.WriteNumber("magnitude", Math.Round(c.Magnitude, 6));
                writer.WriteStartArray("ci");
                writer.WriteNumberValue(Math.Round(c.MagnitudeLower, 6));
                writer.WriteNumberValue(Math.Round(c.MagnitudeUpper, 6));
                writer.WriteEndArray();
                writer.WriteNumber("p", c.PValue);
                writer.WriteString("kind", c.Kind == ChangeKind.Regression ? "regression" : "improvement");
                writer.WriteNumber("before_median", c.Before.Median);
                writer.WriteNumber("after_median", c.After.Median);
                writer.WriteNumber("noise", Math.Round(c.Noise, 6));
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }

    private static string Percent(double fraction) => (fraction >= 0 ? "+" : "") + (fraction * 100).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
