using PerfCI.Core.Domain;

namespace PerfCI.Ui.Bisect;

/// <summary>What the bisect pages read; the server implements it with no-tracking queries (and serves the same views from its API).</summary>
public interface IBisectQueries
{
    /// <summary>Bisects, newest first; of one repository (owner/name) when given.</summary>
    Task<IReadOnlyList<BisectSummary>> ListAsync(string? repository, CancellationToken cancellationToken);

    /// <summary>One bisect with every step, in the order they were measured.</summary>
    Task<BisectDetail?> GetAsync(long id, CancellationToken cancellationToken);

    /// <summary>The repositories and the series they have, for the start form's pickers.</summary>
    Task<BisectFormChoices> GetFormChoicesAsync(CancellationToken cancellationToken);

    /// <summary>The start form filled from an alert: its group's range and its series. Null when there is no such alert.</summary>
    Task<BisectForm?> GetAlertPrefillAsync(long alertId, CancellationToken cancellationToken);
}

/// <summary>What the bisect pages do; the server checks the user's role on every call.</summary>
public interface IBisectActions
{
    Task<BisectActionResult> StartAsync(BisectForm form, CancellationToken cancellationToken);

    Task<BisectActionResult> CancelAsync(long id, CancellationToken cancellationToken);
}

/// <summary>The bisect started or cancelled, or what was wrong, keyed by field (an empty key: the whole request).</summary>
public sealed record BisectActionResult(long? BisectId, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool Succeeded => Errors.Count == 0;

    public static BisectActionResult Done(long id) => new(id, new Dictionary<string, string[]>());

    public static BisectActionResult Refused(string field, string message) => new(null, new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>The start form; field names match the API's (<c>POST /api/bisects</c>).</summary>
public sealed class BisectForm
{
    public string? Repository { get; set; }
    public string? Good { get; set; }
    public string? Bad { get; set; }
    public long? AlertId { get; set; }
    public string? Suite { get; set; }
    public string? Scenario { get; set; }
    public string? Metric { get; set; }
    public string? HardwareClass { get; set; }
    public int TrialsPerStep { get; set; } = 5;
    public int MaxSteps { get; set; } = 30;
    public double MaxRunnerHours { get; set; } = 24;
    public BisectMode Mode { get; set; } = BisectMode.FirstParent;
}

public sealed record BisectFormChoices(IReadOnlyList<string> Repositories, IReadOnlyList<SeriesChoice> Series);

/// <summary>An existing series: what a bisect can measure.</summary>
public sealed record SeriesChoice(string Repository, string Suite, string Scenario, string Metric, string HardwareClass, string Unit);

public sealed record BisectSummary(
    long Id, string Repository, string Suite, string Scenario, string Metric, string HardwareClass, BisectState State, string? Outcome,
    string GoodCommit, string BadCommit, string? CulpritCommit, double? Magnitude, int Steps, long? AlertId, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt);

public sealed record BisectCommitView(string Sha, string Message, string Author);

/// <summary>
/// A bisect as it stands. <see cref="Outcome"/>: culprit, range, no_difference or budget_exhausted once it
/// ended (null while it runs, or when cancelled or failed); <see cref="Conclusion"/> says why in words.
/// Magnitudes are relative changes of the metric from good to bad (0.08 = 8% higher).
/// </summary>
public sealed record BisectDetail(
    long Id, string Repository, string Suite, string Scenario, string Metric, string Unit, string HardwareClass, MetricDirection Direction,
    BisectMode Mode, BisectState State, string? Outcome, string? Conclusion,
    string GoodCommit, string BadCommit, BisectCommitView? Culprit, string? LastGoodCommit, string? FirstBadCommit,
    double? Magnitude, double? MagnitudeLower, double? MagnitudeUpper,
    int TrialsPerStep, int MaxTrialsPerStep, int MaxSteps, double MaxRunnerHours, double RunnerHoursUsed, int? RangeSize,
    long? AlertId, long? AlertGroupId, string? RequestedBy, DateTimeOffset CreatedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    IReadOnlyList<BisectStepView> Steps)
{
    public bool IsActive => State is BisectState.Queued or BisectState.Running;
}

/// <summary>
/// One measurement of one commit: a run of the bisect's scenario with its trials. <see cref="RangeIndex"/> is
/// the commit's place in the range (good 0, bad last). A commit measured again has one step per run.
/// </summary>
public sealed record BisectStepView(
    long Id, int Sequence, string Commit, string Message, int RangeIndex, long? RunId, RunState? RunState,
    IReadOnlyList<double> Samples, double? Median, double? Min, double? Max,
    BisectDecision Decision, double? PValue, string? Reason, DateTimeOffset CreatedAt, DateTimeOffset? DecidedAt);
