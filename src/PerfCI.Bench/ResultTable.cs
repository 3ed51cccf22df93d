using System.Globalization;
using PerfCI.Core.Results;
using Spectre.Console;

namespace PerfCI.Bench;

/// <summary>The results as a person reads them: one column per load point, medians over trials.</summary>
internal static class ResultTable
{
    private static readonly (string Metric, string Label)[] Rows =
    [
        ("completed_requests", "Completed requests"),
        ("failed_requests", "Failed / incomplete"),
        ("request_throughput", "Request throughput (req/s)"),
        ("goodput", "Goodput (req/s)"),
        ("output_throughput", "Output throughput (tok/s)"),
        ("total_throughput", "Total throughput (tok/s)"),
        ("peak_output_throughput", "Peak output (tok/s)"),
        ("concurrency_mean", "Mean concurrency"),
        ("ttft_mean", "TTFT mean (ms)"),
        ("ttft_p50", "TTFT p50 (ms)"),
        ("ttft_p99", "TTFT p99 (ms)"),
        ("tpot_mean", "TPOT mean (ms)"),
        ("tpot_p50", "TPOT p50 (ms)"),
        ("tpot_p99", "TPOT p99 (ms)"),
        ("itl_p50", "ITL p50 (ms)"),
        ("itl_p99", "ITL p99 (ms)"),
        ("e2e_p50", "E2E p50 (ms)"),
        ("e2e_p99", "E2E p99 (ms)"),
        ("prefill_throughput", "Prefill (tok/s, total)"),
        ("decode_throughput", "Decode (tok/s, total)"),
        ("prefill_throughput_per_request", "Prefill (tok/s, per request)"),
        ("decode_throughput_per_request", "Decode (tok/s, per request)"),
        ("schedule_delay_p99", "Schedule delay p99 (ms)"),
        ("gpu_memory_peak", "GPU memory peak (MiB)"),
        ("gpu_utilization_mean", "GPU utilisation (%)"),
        ("gpu_power_mean", "GPU power (W)"),
        ("energy_per_output_token", "Energy per output token (J)"),
        ("time_to_ready", "Engine spawn to ready (ms)"),
        ("cold_start", "Engine spawn to first completion (ms)"),
    ];

    public static void Write(IAnsiConsole console, ResultDocument document)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(document.Model ?? "")}[/]");
        table.AddColumn("Metric");
        foreach (var scenario in document.Scenarios)
            table.AddColumn(new TableColumn(Markup.Escape(scenario.Key)).RightAligned());
        foreach (var (metric, label) in Rows)
        {
            var cells = document.Scenarios.Select(s => s.Metrics.FirstOrDefault(m => m.Name == metric) is { } m ? Format(SampleSummary.Of(m.Samples).Median) : "").ToList();
            if (cells.All(string.IsNullOrEmpty))
                continue;
            table.AddRow([label, .. cells]);
        }
        console.Write(table);
        // A note that every trial shares (no GPU, say) is printed once, not once per trial.
        var notes = document.Scenarios
            .SelectMany(scenario => scenario.Trials.SelectMany(trial => trial.Notes.Select(note => (Note: note, Where: $"{scenario.Key} trial {trial.Index}"))))
            .GroupBy(n => n.Note, StringComparer.Ordinal);
        foreach (var note in notes)
        {
            var where = note.Count() == 1 ? note.First().Where : $"{note.Count()} trials";
            console.MarkupLine($"[yellow]{Markup.Escape(where)}:[/] {Markup.Escape(note.Key)}");
        }
    }

    private static string Format(double value) => value switch
    {
        >= 1000 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 100 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.00", CultureInfo.InvariantCulture),
    };
}
