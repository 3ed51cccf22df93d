namespace PerfCI.Core.Results;

/// <summary>
/// One GPU reading of a trial, kept so the dashboard can draw memory, utilisation, power and clocks
/// over time. Readings a GPU does not report are null, never 0.
/// </summary>
public sealed record GpuTracePoint(int Gpu, double ElapsedMs, double? MemoryUsedMiB, double? UtilizationPercent, double? PowerW, double? SmClockMHz);

public static class GpuTrace
{
    /// <summary>Readings kept per GPU and trial: a few hundred draw the shape; every 100 ms sample of a long trial would bloat the document.</summary>
    public const int MaxPointsPerGpu = 300;

    /// <summary>Every n-th reading of each GPU (the last one always kept), so that each GPU has at most <paramref name="maxPerGpu"/>.</summary>
    public static IReadOnlyList<GpuTracePoint> Thin(IReadOnlyList<GpuTracePoint> points, int maxPerGpu = MaxPointsPerGpu)
    {
        var kept = new List<GpuTracePoint>();
        foreach (var gpu in points.GroupBy(p => p.Gpu).OrderBy(g => g.Key))
        {
            var readings = gpu.ToList();
            var step = (int)Math.Ceiling(readings.Count / (double)maxPerGpu);
            for (var i = 0; i < readings.Count; i++)
            {
                if (i % step == 0 || i == readings.Count - 1)
                    kept.Add(readings[i]);
            }
        }
        return kept;
    }
}
