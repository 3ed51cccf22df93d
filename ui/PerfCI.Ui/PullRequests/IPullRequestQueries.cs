using System.Security.Claims;
using PerfCI.Core.Domain;
using PerfCI.Ui.Actions;

namespace PerfCI.Ui.PullRequests;

public interface IPullRequestQueries
{
    Task<IReadOnlyList<PullRequestItem>> ListAsync(string? repository, bool openOnly, CancellationToken cancellationToken);
    Task<PullRequestDetail?> GetAsync(string owner, string name, int number, CancellationToken cancellationToken);
}

/// <summary>The two decisions of issue 9, checked against the user's role (maintainer) on the server.</summary>
public interface IPullRequestActions
{
    /// <summary>Lets a fork's (or an outside author's) pull request run on the runners.</summary>
    Task<ActionOutcome<bool>> ApproveAsync(ClaimsPrincipal user, string owner, string name, int number, CancellationToken cancellationToken);
    /// <summary>Accepts the head's regression: the check run turns green with who accepted it and the note.</summary>
    Task<ActionOutcome<bool>> AcknowledgeRegressionAsync(ClaimsPrincipal user, string owner, string name, int number, string? note, CancellationToken cancellationToken);
}

/// <summary>What the benchmarks of the head say; the words of the pull request's report.</summary>
public enum PullRequestVerdict
{
    WaitingForApproval,
    NotRun,
    Running,
    Failed,
    Regression,
    AcceptedRegression,
    Inconclusive,
    NoBaseline,
    Improvement,
    NoChange,
}

public sealed record PullRequestItem(
    long Id, string Repository, int Number, string Title, string Author, PullRequestState State, string HeadSha, bool IsFork,
    PullRequestVerdict Verdict, DateTimeOffset UpdatedAt);

public sealed record PullRequestDetail(
    PullRequestItem Summary, string BaseRef, string? MergeBaseSha, bool RequiresApproval, string? ApprovedBy, DateTimeOffset? ApprovedAt,
    string? AcceptedBy, string? AcceptedNote, bool AcceptedForHead, IReadOnlyList<PullRequestRun> Runs, IReadOnlyList<PullRequestMetric> Changes)
{
    public bool WaitsForApproval => RequiresApproval && ApprovedAt is null && Summary.State == PullRequestState.Open;
    public bool CanAcknowledge => Summary.Verdict is PullRequestVerdict.Regression or PullRequestVerdict.Inconclusive && Summary.State == PullRequestState.Open;
}

public sealed record PullRequestRun(long Id, string Sha, RunState State, DateTimeOffset CreatedAt);

public sealed record PullRequestMetric(
    string Suite, string Scenario, string Metric, string Unit, string Verdict, double Shift, double ShiftLower, double ShiftUpper, double? BaselineMedian, double? CandidateMedian);
