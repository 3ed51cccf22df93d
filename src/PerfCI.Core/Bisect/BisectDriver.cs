namespace PerfCI.Core.Bisect;

/// <summary>
/// Runs a search to its end on one machine: the measurements of each round one after the other, each
/// recorded (or skipped when the measure function returns null) as it arrives.
/// </summary>
public static class BisectDriver
{
    public static async Task<BisectOutcome> RunAsync(
        BisectSearch search,
        Func<MeasureRequest, CancellationToken, Task<IReadOnlyList<double>?>> measure,
        IProgress<BisectStepResult>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(search);
        ArgumentNullException.ThrowIfNull(measure);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            switch (search.Next())
            {
                case BisectFinished finished:
                    return finished.Outcome;
                case MeasureCommits round:
                    foreach (var request in round.Requests)
                    {
                        var samples = await measure(request, ct);
                        if (samples is null || samples.Count == 0)
                            search.Skip(request.Sha, samples is null ? "failed to build or run" : "no trials were measured");
                        else
                            search.Record(request.Sha, samples);
                        progress?.Report(search.Steps.Single(step => step.Sha == request.Sha));
                    }
                    break;
                default:
                    throw new InvalidOperationException("The search asked for something the driver does not know.");
            }
        }
    }
}
