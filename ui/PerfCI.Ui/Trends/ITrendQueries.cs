using PerfCI.Core.Domain;

namespace PerfCI.Ui.Trends;

/// <summary>What the trends page reads, implemented by the server with no-tracking queries.</summary>
public interface ITrendQueries
{
    /// <summary>
    /// The prerendered page names the chart data its script will ask for in a moment
    /// (<see cref="TrendSelection.ToChartDataUri"/>): the server may start reading it now.
    /// </summary>
    void PrepareChart(TrendSelection selection);

    /// <summary>Every series there is, for the pickers (a few thousand rows at most: their keys only).</summary>
    Task<IReadOnlyList<SeriesKey>> GetSeriesKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// A series on the default branch in first-parent order, one point per commit (re-runs pool their
    /// trials), with its change points and alerts; null when no such series exists.
    /// </summary>
    Task<TrendSeries?> GetSeriesAsync(long seriesId, CancellationToken cancellationToken);

    /// <summary>
    /// A concurrency sweep at some commits: the scenarios of one suite that share a name and differ by
    /// concurrency (<c>chat@c1</c>, <c>chat@c8</c>, ...), latency against throughput per commit.
    /// </summary>
    Task<IReadOnlyList<SweepCurve>> GetSweepAsync(SweepRequest request, CancellationToken cancellationToken);
}

/// <summary>What identifies a series, and its unit and direction.</summary>
public sealed record SeriesKey(
    long Id, string Repository, string Suite, string Scenario, string Metric, string HardwareClass, string Unit, MetricDirection Direction);

public sealed record TrendSeries(
    SeriesKey Key,
    IReadOnlyList<TrendPoint> Points,
    IReadOnlyList<TrendChangePoint> ChangePoints,
    IReadOnlyList<TrendAlert> Alerts);

/// <summary>
/// One commit's value: the median of its trials and their spread (lowest and highest trial).
/// <see cref="Position"/> is the commit's place on the first-parent history (or its order by commit
/// time when the server never saw the history).
/// </summary>
public sealed record TrendPoint(
    long CommitId, int Position, string Sha, string Message, string Author, DateTimeOffset CommittedAt,
    long RunId, double Median, double Low, double High, int Trials);

public sealed record TrendChangePoint(
    long CommitId, string Sha, ChangeKind Kind, double Magnitude, double MagnitudeLower, double MagnitudeUpper, bool Accepted);

public sealed record TrendAlert(long Id, long GroupId, long CommitId, string Sha, AlertKind Kind, AlertState State, double Magnitude);

/// <param name="Scenario">The sweep's scenario name without its load point (<c>chat</c> for <c>chat@c8</c>).</param>
/// <param name="Commits">One or two commit shas (or unique prefixes).</param>
public sealed record SweepRequest(
    string Repository, string Suite, string Scenario, string HardwareClass, string LatencyMetric, string ThroughputMetric, IReadOnlyList<string> Commits);

public sealed record SweepCurve(string Commit, string LatencyUnit, string ThroughputUnit, IReadOnlyList<SweepPoint> Points);

/// <summary>One load point of a sweep: medians of the trials.</summary>
public sealed record SweepPoint(int Concurrency, double Throughput, double Latency);
