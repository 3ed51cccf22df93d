namespace PerfCI.Data.Entities;

/// <summary>One point of a series: every trial's sample plus its summary.</summary>
public sealed class Measurement
{
    public long Id { get; set; }
    public long SeriesId { get; set; }
    public Series Series { get; set; } = null!;
    public long RunId { get; set; }
    public long? JobId { get; set; }
    public long CommitId { get; set; }
    public Commit Commit { get; set; } = null!;
    /// <summary>One value per trial, in trial order (double precision[]).</summary>
    public double[] Samples { get; set; } = [];
    public double Mean { get; set; }
    public double Median { get; set; }
    public double StdDev { get; set; }
    public double Min { get; set; }
    public double Max { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
