using System.Text.Json;
using System.Text.Json.Serialization;
using PerfCI.Core.Domain;

namespace PerfCI.Core.Results;

/// <summary>Reading and writing the result document, and checking it field by field.</summary>
public static class ResultDocumentJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = true,
            // Other tools write Infinity and NaN; ours never does, but reading theirs must not fail.
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            AllowTrailingCommas = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return options;
    }

    public static string Serialize(ResultDocument document) => JsonSerializer.Serialize(document, Options);

    /// <summary>Parses and validates; a bad document throws <see cref="ResultDocumentException"/> naming the field.</summary>
    public static ResultDocument Parse(string json, string source = "result document")
    {
        ResultDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<ResultDocument>(json, Options);
        }
        catch (JsonException e)
        {
            var field = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" {e.Path.TrimStart('$', '.')}:";
            var line = e.LineNumber is { } l ? $":{l + 1}" : "";
            throw new ResultDocumentException($"{source}{line}:{field} {e.Message.Split(" Path:")[0]}", [e.Path ?? "$"]);
        }
        if (document is null)
            throw new ResultDocumentException($"{source}: expected a JSON object.", ["$"]);
        var errors = Validate(document);
        return errors.Count == 0
            ? document
            : throw new ResultDocumentException($"{source}: {string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}"))}", [.. errors.Select(e => e.Field)]);
    }

    public sealed record FieldError(string Field, string Message);

    public static List<FieldError> Validate(ResultDocument document)
    {
        var errors = new List<FieldError>();
        if (document.Schema != ResultDocument.CurrentSchema)
            errors.Add(new("schema", $"expected '{ResultDocument.CurrentSchema}', was '{document.Schema}'"));
        if (document.Source is null || string.IsNullOrWhiteSpace(document.Source.Tool))
            errors.Add(new("source.tool", "required: the tool that measured"));
        if (document.Scenarios is null || document.Scenarios.Count == 0)
            errors.Add(new("scenarios", "expected at least one scenario"));
        var keys = new HashSet<string>(StringComparer.Ordinal);
        for (var s = 0; s < (document.Scenarios?.Count ?? 0); s++)
        {
            var scenario = document.Scenarios![s];
            var at = $"scenarios[{s}]";
            if (scenario is null)
            {
                errors.Add(new(at, "must not be null"));
                continue;
            }
            if (string.IsNullOrWhiteSpace(scenario.Name) || scenario.Name.Length > 150)
                errors.Add(new($"{at}.name", "required, at most 150 characters"));
            if (scenario.Concurrency is < 1)
                errors.Add(new($"{at}.concurrency", $"must be a positive integer, was {scenario.Concurrency}"));
            if (scenario.RequestRate is { } rate && (!(rate > 0) || double.IsInfinity(rate)))
                errors.Add(new($"{at}.request_rate", $"must be a positive number of requests per second (null for all at once), was {rate}"));
            if (scenario.BatchSize is < 1)
                errors.Add(new($"{at}.batch_size", $"must be a positive integer, was {scenario.BatchSize}"));
            if (!string.IsNullOrWhiteSpace(scenario.Name) && !keys.Add(scenario.Key))
                errors.Add(new($"{at}", $"duplicate scenario '{scenario.Key}' (same name and load point)"));
            if (scenario.Metrics is null || scenario.Metrics.Count == 0)
                errors.Add(new($"{at}.metrics", "expected at least one metric"));
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var m = 0; m < (scenario.Metrics?.Count ?? 0); m++)
            {
                var metric = scenario.Metrics![m];
                var mat = $"{at}.metrics[{m}]";
                if (metric is null)
                {
                    errors.Add(new(mat, "must not be null"));
                    continue;
                }
                if (string.IsNullOrWhiteSpace(metric.Name) || metric.Name.Length > 150)
                    errors.Add(new($"{mat}.name", "required, at most 150 characters"));
                else if (!names.Add(metric.Name))
                    errors.Add(new($"{mat}.name", $"duplicate metric '{metric.Name}'"));
                if (string.IsNullOrWhiteSpace(metric.Unit) || metric.Unit.Length > 50)
                    errors.Add(new($"{mat}.unit", "required, at most 50 characters"));
                if (!Enum.IsDefined(metric.Direction))
                    errors.Add(new($"{mat}.direction", "expected lower_is_better or higher_is_better"));
                if (metric.Samples is null || metric.Samples.Count == 0)
                    errors.Add(new($"{mat}.samples", "expected a list of numbers, one per trial"));
                else if (metric.Samples.Any(v => !double.IsFinite(v)))
                    errors.Add(new($"{mat}.samples", "every sample must be a finite number"));
                if (MetricCatalog.Find(metric.Name ?? "") is { } known && (known.Unit != metric.Unit || known.Direction != metric.Direction))
                    errors.Add(new($"{mat}", $"'{metric.Name}' is measured in {known.Unit}, {Describe(known.Direction)}"));
            }
        }
        return errors;
    }

    private static string Describe(MetricDirection direction) =>
        direction == MetricDirection.LowerIsBetter ? "lower is better" : "higher is better";
}

/// <summary>A result document that cannot be used; the message names the file and the field.</summary>
public sealed class ResultDocumentException(string message, IReadOnlyList<string> fields) : Exception(message)
{
    public IReadOnlyList<string> Fields { get; } = fields;
}
