namespace PerfCI.Data.Entities;

public sealed class Commit
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public Repository Repository { get; set; } = null!;
    public required string Sha { get; set; }
    public string[] ParentShas { get; set; } = [];
    public string AuthorName { get; set; } = "";
    public string AuthorEmail { get; set; } = "";
    public string Message { get; set; } = "";
    public DateTimeOffset CommittedAt { get; set; }
    /// <summary>
    /// 0-based position on the default branch's first-parent history; null for commits that are
    /// not on it (pull-request heads). Series are ordered by this, never by when a run happened.
    /// </summary>
    public int? FirstParentPosition { get; set; }
}
