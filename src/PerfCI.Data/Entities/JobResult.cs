namespace PerfCI.Data.Entities;

/// <summary>
/// A result document as uploaded, kept whole (jsonb) so any metric can be recomputed later.
/// At most one per (job, attempt); offline uploads have no job and are deduplicated by content hash.
/// </summary>
public sealed class JobResult
{
    public long Id { get; set; }
    public long? JobId { get; set; }
    public int? Attempt { get; set; }
    public long RunId { get; set; }
    public long? RunnerId { get; set; }
    public required byte[] ContentSha256 { get; set; }
    public required string Document { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
}
