using PerfCI.Core.Domain;
using PerfCI.Ui.Trends;

namespace PerfCI.Ui.Tests;

public sealed class TrendChartModelTests
{
    [Fact]
    public void Build_AlignsOverlaidSeriesOnOneCommitAxis_WithTheirSpreadAndNullsWhereAPointIsMissing()
    {
        var h100 = Series(1, "h100", [Point(10, 0, 100, 98, 103), Point(11, 1, 101, 99, 104), Point(13, 3, 110, 108, 113)]);
        var a100 = Series(2, "a100", [Point(11, 1, 150, 140, 160), Point(12, 2, 151, 141, 161)]);

        var model = TrendChartModels.Build([h100, a100]);

        Assert.Equal([0, 1, 2, 3], model.Positions);
        Assert.Equal(["sha10", "sha11", "sha12", "sha13"], model.Shas);
        Assert.Equal([1010L, 1011, 1012, 1013], model.RunIds);
        Assert.Equal(["h100", "a100"], model.Lines.Select(l => l.Label));
        Assert.Equal([100, 101, null, 110], model.Lines[0].Values);
        Assert.Equal([98, 99, null, 108], model.Lines[0].Low);
        Assert.Equal([103, 104, null, 113], model.Lines[0].High);
        Assert.Equal([null, 150, 151, null], model.Lines[1].Values);
        Assert.Equal([null, 5, 5, null], model.Lines[1].Trials);
        Assert.True(model.Lines[0].LowerIsBetter);
    }

    [Fact]
    public void Build_PlacesChangePointsAndAlertsAtTheirCommit_AndSaysWhatTheyAre()
    {
        var series = Series(1, "h100", [Point(10, 0, 100, 98, 103), Point(11, 1, 100, 98, 103), Point(12, 2, 112, 110, 114)]) with
        {
            ChangePoints = [new TrendChangePoint(12, "sha12", ChangeKind.Regression, 0.12, 0.09, 0.15, false), new TrendChangePoint(99, "gone", ChangeKind.Improvement, -0.1, -0.2, -0.05, false)],
            Alerts = [new TrendAlert(7, 3, 12, "sha12", AlertKind.Regression, AlertState.WontFix, 0.12)],
        };

        var model = TrendChartModels.Build([series]);

        var change = Assert.Single(model.Markers, m => m.Type == "change");
        Assert.Equal((2, 0, "regression", "regression +12% (+9% to +15%)"), (change.Index, change.Line, change.Kind, change.Label));
        var alert = Assert.Single(model.Markers, m => m.Type == "alert");
        Assert.Equal((2, "regression", "alert 7 (wont_fix) +12%"), (alert.Index, alert.Kind, alert.Label));
    }

    [Fact]
    public void Build_LabelsOverlaidMetrics_ByMetricAndHardwareWhenBothDiffer()
    {
        var lines = TrendChartModels.Build([Series(1, "h100", [], "ttft_p50"), Series(2, "a100", [], "ttft_p99")]).Lines;

        Assert.Equal(["ttft_p50 on h100", "ttft_p99 on a100"], lines.Select(l => l.Label));
    }

    private static TrendSeries Series(long id, string hardware, TrendPoint[] points, string metric = "ttft_p50") =>
        new(new SeriesKey(id, "acme/engine", "serving", "chat@c1", metric, hardware, "ms", MetricDirection.LowerIsBetter), points, [], []);

    private static TrendPoint Point(long commit, int position, double median, double low, double high) =>
        new(commit, position, $"sha{commit}", $"change {commit}", "Ana", DateTimeOffset.UnixEpoch.AddDays(commit), 1000 + commit, median, low, high, 5);
}
