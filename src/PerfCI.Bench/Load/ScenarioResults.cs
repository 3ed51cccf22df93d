using PerfCI.Core.Results;

namespace PerfCI.Bench.Load;

/// <summary>Turns a scenario's trials into the result document's scenario: one sample per trial for each metric.</summary>
public static class ScenarioResults
{
    public static ScenarioResult From(ScenarioSpec spec, IReadOnlyList<TrialRun> trials)
    {
        // A metric goes in only when every trial has it, so that samples line up with trials.
        var names = trials.Count == 0
            ? []
            : trials.Select(t => t.Metrics.Values.Keys).Aggregate((a, b) => a.Intersect(b, StringComparer.Ordinal)).ToList();
        var metrics = names
            .Select(name => (Name: name, Definition: MetricCatalog.Find(name)))
            .Where(m => m.Definition is not null)
            .Select(m => new MetricSamples(m.Name, m.Definition!.Unit, m.Definition.Direction, [.. trials.Select(t => t.Metrics.Values[m.Name])]))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
        return new ScenarioResult
        {
            Name = spec.Name,
            Concurrency = spec.Load.Kind == ArrivalKind.ClosedLoop ? spec.Load.Concurrency : null,
            RequestRate = spec.Load.Kind == ArrivalKind.OpenLoop ? spec.Load.RequestRate : null,
            Workload = new WorkloadInfo
            {
                InputTokens = spec.Workload.InputTokens,
                OutputTokens = spec.Workload.OutputTokens,
                Requests = spec.Requests,
                Dataset = spec.Workload.Dataset,
            },
            Metrics = metrics,
            Trials = [.. trials.Select(t => new TrialInfo { Index = t.Trial, Valid = t.Valid, Notes = t.Notes, GpuTrace = t.GpuTrace })],
        };
    }
}
