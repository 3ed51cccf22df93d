namespace PerfCI.Data.Entities;

/// <summary>A batch of a job's log, streamed by the runner every ~500 ms.</summary>
public sealed class JobLogChunk
{
    public long Id { get; set; }
    public long JobId { get; set; }
    public int Attempt { get; set; }
    /// <summary>Runner-assigned, so a retried upload of the same batch is stored once.</summary>
    public int Sequence { get; set; }
    public required string Text { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
