namespace PerfCI.Core.Bisect;

/// <summary>What measuring a commit gave: its trials, or why it could not be measured (then it is skipped).</summary>
public sealed record BisectMeasurement(IReadOnlyList<double>? Samples, string? FailureReason)
{
    public static BisectMeasurement Measured(IReadOnlyList<double> samples) => new(samples, null);

    public static BisectMeasurement Failed(string reason) => new(null, reason);
}

/// <summary>
/// Runs a search to its end on one machine: the measurements of each round one after the other, each
/// recorded (or skipped when it failed) as it arrives.
/// </summary>
public static class BisectDriver
{
    /// <summary>A null result from <paramref name="measure"/> means the commit failed to build or run.</summary>
    public static Task<BisectOutcome> RunAsync(
        BisectSearch search,
        Func<MeasureRequest, CancellationToken, Task<IReadOnlyList<double>?>> measure,
        IProgress<BisectStepResult>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(measure);
        return RunAsync(search, async (request, token) => await measure(request, token) is { } samples
            ? BisectMeasurement.Measured(samples)
            : BisectMeasurement.Failed("failed to build or run"), progress, ct);
    }

    /// <summary>As the other overload, with the reason a commit could not be measured kept on its step.</summary>
    public static async Task<BisectOutcome> RunAsync(
        BisectSearch search,
        Func<MeasureRequest, CancellationToken, Task<BisectMeasurement>> measure,
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
                        var result = await measure(request, ct);
                        if (result.Samples is { Count: > 0 } samples)
                            search.Record(request.Sha, samples);
                        else
                            search.Skip(request.Sha, result.FailureReason ?? "no trials were measured");
                        progress?.Report(search.Steps.Single(step => step.Sha == request.Sha));
                    }
                    break;
                default:
                    throw new InvalidOperationException("The search asked for something the driver does not know.");
            }
        }
    }
}
