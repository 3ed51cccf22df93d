using PerfCI.Core.Domain;

namespace PerfCI.Data.Entities;

public sealed class PullRequest
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public Repository Repository { get; set; } = null!;
    public int Number { get; set; }
    public string Title { get; set; } = "";
    public string Author { get; set; } = "";
    public PullRequestState State { get; set; }
    public required string HeadSha { get; set; }
    public string HeadRef { get; set; } = "";
    /// <summary>owner/name of the head repository; differs from the base for a fork.</summary>
    public string HeadRepositoryFullName { get; set; } = "";
    public string BaseRef { get; set; } = "";
    public string BaseSha { get; set; } = "";
    public string? MergeBaseSha { get; set; }
    /// <summary>Fork or author without write access: benchmarked only after a maintainer approves.</summary>
    public bool RequiresApproval { get; set; }
    public string? ApprovedBy { get; set; }
    public DateTimeOffset? ApprovedAt { get; set; }
    /// <summary>The one PR comment PerfCI keeps editing.</summary>
    public long? StickyCommentId { get; set; }
    public long? CheckRunId { get; set; }
    /// <summary>
    /// A maintainer accepted this head's regression ("the slowdown is worth it"): the check turns green
    /// with a note of who accepted it. A later push is judged afresh.
    /// </summary>
    public string? AcceptedHeadSha { get; set; }
    public string? AcceptedBy { get; set; }
    public string? AcceptedNote { get; set; }
    public DateTimeOffset? AcceptedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
