namespace PerfCI.Core.Domain;

/// <summary>
/// Per-repository behaviour that an admin edits in the dashboard; stored as jsonb on the repository.
/// </summary>
public sealed record RepositorySettings
{
    /// <summary>Branches whose pushes are benchmarked. Empty means the default branch only.</summary>
    public IReadOnlyList<string> TrackedBranches { get; init; } = [];

    /// <summary>Benchmark every commit of a push rather than only its head.</summary>
    public bool BenchmarkEveryPushedCommit { get; init; }

    public CommentPolicy CommentPolicy { get; init; } = CommentPolicy.Always;

    /// <summary>Default relative threshold for a regression (0.03 = 3%).</summary>
    public double DefaultThreshold { get; init; } = 0.03;

    /// <summary>Per-metric thresholds, keyed by metric name (e.g. <c>ttft_p99</c>).</summary>
    public IReadOnlyDictionary<string, double> MetricThresholds { get; init; } = new Dictionary<string, double>();

    /// <summary>Label a maintainer puts on a fork's pull request to approve benchmarking it.</summary>
    public string? ApprovalLabel { get; init; } = "perfci:run";

    /// <summary>Raise a "no data" alert after this many benchmarked commits without a point.</summary>
    public int NoDataAlertAfterCommits { get; init; } = 5;

    /// <summary>Bisect confirmed regressions automatically.</summary>
    public bool AutoBisect { get; init; }

    /// <summary>Open one GitHub issue per regression group.</summary>
    public bool OpenIssuesForRegressions { get; init; }

    /// <summary>Suite definitions kept on the server, used when the repository has no perfci.yml.</summary>
    public string? SuitesYaml { get; init; }
}
