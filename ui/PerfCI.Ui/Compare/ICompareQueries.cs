using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;

namespace PerfCI.Ui.Compare;

/// <summary>What the compare page reads: the server's run comparison (its statistics, not the page's).</summary>
public interface ICompareQueries
{
    /// <summary>Commit <paramref name="Head"/> against commit <paramref name="Base"/>, on one hardware class or all.</summary>
    Task<CompareOutcome> CompareCommitsAsync(string repository, string @base, string head, string? hardwareClass, CancellationToken cancellationToken);

    /// <summary>A pull request's latest measured run against its merge base, as its PR comment says.</summary>
    Task<CompareOutcome> ComparePullRequestAsync(string repository, int number, CancellationToken cancellationToken);

    /// <summary>One run against a base commit (null: the run's own baseline), the link the PR comment carries.</summary>
    Task<CompareOutcome> CompareRunAsync(long runId, string? @base, CancellationToken cancellationToken);
}

/// <summary>A comparison, or why there is none (<see cref="Problem"/>), never both.</summary>
public sealed record CompareOutcome(CompareResult? Result, string? Problem)
{
    public static CompareOutcome Failed(string problem) => new(null, problem);
}

public sealed record CompareResult(
    string Repository, long RunId, string HeadCommit, string? BaseCommit, string? PullRequest, Verdict Verdict,
    int Regressions, int Improvements, int Inconclusive, IReadOnlyList<MetricChange> Metrics);

/// <summary>One metric: the change relative to the baseline's median, its interval, and the verdict.</summary>
public sealed record MetricChange(
    long SeriesId, string Suite, string Scenario, string Metric, string Unit, MetricDirection Direction, string HardwareClass,
    Verdict Verdict, double Shift, double ShiftLower, double ShiftUpper, double PValue,
    double? BaselineMedian, double? CandidateMedian, int BaselineTrials, int CandidateTrials, string Reason);
