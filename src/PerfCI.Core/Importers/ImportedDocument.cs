using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>The last step of every importer: merge repeated runs into trials, then validate.</summary>
internal static class ImportedDocument
{
    /// <summary>
    /// Scenarios with the same name and load point (the same benchmark appended to one file again)
    /// become one scenario whose samples are the runs in file order, one trial each. The document must
    /// then pass <see cref="ResultDocumentJson.Validate"/>; a file that yields nothing usable fails here.
    /// </summary>
    public static ResultDocument Finish(string fileName, ResultDocument document)
    {
        if (document.Scenarios.Count == 0)
            throw new ImportException(fileName, null, null, $"no benchmark results found in this {document.Source.Tool} file");
        foreach (var scenario in document.Scenarios)
        {
            if (scenario.Metrics.Count == 0)
                throw new ImportException(fileName, null, null, $"scenario '{scenario.Name}' has no metric PerfCI can read");
        }
        var merged = document with { Scenarios = MergeRepeats(document.Scenarios) };
        var errors = ResultDocumentJson.Validate(merged);
        return errors.Count == 0
            ? merged
            : throw new ImportException(fileName, null, null,
                $"the imported result is not valid: {string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}"))}");
    }

    internal static List<ScenarioResult> MergeRepeats(IReadOnlyList<ScenarioResult> scenarios)
    {
        var result = new List<ScenarioResult>();
        foreach (var group in scenarios.GroupBy(s => s.Key, StringComparer.Ordinal))
        {
            var runs = group.ToList();
            if (runs.Count == 1)
            {
                result.Add(runs[0]);
                continue;
            }
            var metrics = new List<MetricSamples>();
            foreach (var name in runs.SelectMany(r => r.Metrics).Select(m => m.Name).Distinct(StringComparer.Ordinal))
            {
                var first = runs.SelectMany(r => r.Metrics).First(m => m.Name == name);
                var samples = runs.SelectMany(r => r.Metrics.Where(m => m.Name == name)).SelectMany(m => m.Samples).ToList();
                metrics.Add(first with { Samples = samples });
            }
            // One trial per run, when each run is one trial; a run that already holds several
            // samples (llama-bench repetitions) keeps its own trial list, or none.
            IEnumerable<TrialInfo> trials = runs.All(r => r.Trials.Count > 0) ? runs.SelectMany(r => r.Trials)
                : runs.All(r => r.Metrics.All(m => m.Samples.Count == 1)) ? runs.Select(_ => new TrialInfo())
                : [];
            result.Add(runs[0] with { Metrics = metrics, Trials = [.. trials.Select((t, i) => t with { Index = i })] });
        }
        return result;
    }
}
