using System.Globalization;
using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>
/// llama.cpp's <c>llama-bench</c>: <c>-o json</c> (an array), <c>-o jsonl</c> (one object a line)
/// and <c>-o csv</c>. One row is one test: <c>pp512</c> (prompt processing), <c>tg128</c> (text
/// generation) or <c>pp512+tg128</c>, each repeated <c>-r</c> times; JSON keeps every repetition
/// (<c>samples_ts</c>, <c>samples_ns</c>), CSV only the average.
/// </summary>
public sealed class LlamaBenchImporter : IResultImporter
{
    /// <summary>Settings llama-bench can sweep; those that differ between rows of a file name the scenario.</summary>
    private static readonly string[] Settings =
    [
        "model_filename", "backends", "n_batch", "n_ubatch", "n_threads", "cpu_mask", "cpu_strict", "poll",
        "type_k", "type_v", "n_gpu_layers", "split_mode", "main_gpu", "no_kv_offload", "flash_attn",
        "tensor_split", "use_mmap", "embeddings", "defrag_thold", "n_cpu_moe", "devices",
    ];

    public string Format => "llama-bench";

    public bool CanRead(string fileName, string head) =>
        head.Contains("n_prompt", StringComparison.Ordinal) && head.Contains("avg_ts", StringComparison.Ordinal)
        && head.Contains("build_commit", StringComparison.Ordinal);

    public ResultDocument Import(string fileName, string content)
    {
        var runs = LooksLikeCsv(content) ? ReadCsv(fileName, content) : ReadJson(fileName, content);
        if (runs.Count == 0)
            throw new ImportException(fileName, null, null, "no llama-bench results in the file");

        var varying = Settings.Where(s => runs.Select(r => r.Settings.GetValueOrDefault(s)).Distinct().Count() > 1).ToList();
        var models = runs.Select(r => r.Model).Distinct().ToList();
        var first = runs[0];
        var document = new ResultDocument
        {
            Source = new ResultSource(Format, first.BuildNumber is { } b ? $"b{b}" : null, fileName),
            Engine = new EngineInfo("llama.cpp", first.BuildNumber is { } n ? $"b{n}" : null, first.BuildCommit),
            Model = models.Count == 1 ? models[0] : null,
            StartedAt = runs.Min(r => r.TestTime),
            Scenarios = [.. runs.Select(r => Scenario(r, varying))],
        };
        return ImportedDocument.Finish(fileName, document);
    }

    private static ScenarioResult Scenario(Run run, List<string> varying)
    {
        var test = (run.Prompt, run.Generated) switch
        {
            ( > 0, 0) => $"pp{run.Prompt}",
            (0, > 0) => $"tg{run.Generated}",
            _ => $"pp{run.Prompt}+tg{run.Generated}",
        };
        if (run.Depth > 0)
            test += $"_d{run.Depth}";
        foreach (var setting in varying)
        {
            var value = run.Settings.GetValueOrDefault(setting) ?? "";
            test += $" {setting}={(setting == "model_filename" ? Path.GetFileName(value) : value)}";
        }

        var metrics = new MetricSet();
        var throughput = run.SamplesTs ?? [run.AverageTs];
        var milliseconds = (run.SamplesNs ?? (run.AverageNs is { } ns ? [ns] : [])).Select(v => v / 1e6).ToList();
        switch (run.Prompt, run.Generated)
        {
            case ( > 0, 0):
                metrics.Add("prefill_throughput", throughput);
                metrics.Add("prefill_latency", milliseconds);
                break;
            case (0, > 0):
                metrics.Add("decode_throughput", throughput);
                metrics.Add("decode_latency", [.. milliseconds.Select(v => v / run.Generated)]);
                break;
            default:
                metrics.Add("total_throughput", throughput);
                metrics.Add("batch_latency", milliseconds);
                break;
        }
        return new ScenarioResult
        {
            Name = test,
            Workload = new WorkloadInfo
            {
                InputTokens = run.Prompt > 0 ? run.Prompt : null,
                OutputTokens = run.Generated > 0 ? run.Generated : null,
            },
            Metrics = metrics.Metrics,
        };
    }

    private sealed record Run(
        string? BuildCommit,
        string? BuildNumber,
        string? Model,
        int Prompt,
        int Generated,
        int Depth,
        double AverageTs,
        double? AverageNs,
        IReadOnlyList<double>? SamplesTs,
        IReadOnlyList<double>? SamplesNs,
        DateTimeOffset? TestTime,
        Dictionary<string, string?> Settings);

    private static bool LooksLikeCsv(string content)
    {
        var start = content.TrimStart();
        return start.Length > 0 && start[0] != '{' && start[0] != '[';
    }

    private static List<Run> ReadJson(string fileName, string content)
    {
        var rows = new List<JsonField>();
        foreach (var value in JsonRecords.Read(fileName, content))
        {
            if (value.Kind == System.Text.Json.JsonValueKind.Array)
                rows.AddRange(value.Items());
            else
                rows.Add(value);
        }
        return [.. rows.Select(row =>
        {
            var prompt = row.Required("n_prompt").AsInt();
            var generated = row.Required("n_gen").AsInt();
            CheckTest(row.Location, prompt, generated);
            var samplesTs = row.Get("samples_ts")?.Items().Select(s => s.AsNumber()).ToList();
            var samplesNs = row.Get("samples_ns")?.Items().Select(s => s.AsNumber()).ToList();
            return new Run(
                row.String("build_commit"),
                row.String("build_number"),
                row.String("model_filename") is { } model ? Path.GetFileName(model) : null,
                prompt,
                generated,
                row.Int("n_depth") ?? 0,
                row.RequiredNumber("avg_ts"),
                row.Number("avg_ns"),
                samplesTs is { Count: > 0 } ? samplesTs : null,
                samplesNs is { Count: > 0 } ? samplesNs : null,
                row.Get("test_time") is { } time ? ParseTime(time.AsString(), row.Location, time.Name) : null,
                Settings.ToDictionary(s => s, s => row.Get(s) is { } f ? Text(f) : null, StringComparer.Ordinal));
        })];
    }

    private static List<Run> ReadCsv(string fileName, string content)
    {
        var table = CsvTable.Parse(fileName, content);
        table.RequireColumns("n_prompt", "n_gen", "avg_ts");
        return [.. table.Rows.Select(row =>
        {
            var at = new ImportLocation(fileName, row.Line);
            var prompt = row.Int("n_prompt");
            var generated = row.Int("n_gen");
            CheckTest(at, prompt, generated);
            return new Run(
                row.Get("build_commit"),
                row.Get("build_number"),
                row.Get("model_filename") is { } model ? Path.GetFileName(model) : null,
                prompt,
                generated,
                table.HasColumn("n_depth") ? row.Int("n_depth") : 0,
                row.Number("avg_ts"),
                table.HasColumn("avg_ns") ? row.Number("avg_ns") : null,
                null,
                null,
                row.Get("test_time") is { } time ? ParseTime(time, at, "test_time") : null,
                Settings.ToDictionary(s => s, row.Get, StringComparer.Ordinal));
        })];
    }

    private static string Text(JsonField field) =>
        field.Kind == System.Text.Json.JsonValueKind.String ? field.Element.GetString()! : field.Element.GetRawText();

    private static void CheckTest(ImportLocation at, int prompt, int generated)
    {
        if (prompt < 0 || generated < 0 || prompt + generated == 0)
            throw at.Error("n_prompt", $"a test needs prompt or generated tokens, was n_prompt={prompt}, n_gen={generated}");
    }

    private static DateTimeOffset ParseTime(string text, ImportLocation at, string field) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : throw at.Error(field, $"expected a date and time, was {JsonField.Quote(text)}");
}
