using PerfCI.Ui.Trends;

namespace PerfCI.Ui.Tests;

public sealed class SweepLayoutTests
{
    [Fact]
    public void Of_DrawsEachCommitAlongItsConcurrencies_FromZeroToANiceAxisEnd()
    {
        var curves = new[]
        {
            new SweepCurve("aaaa", "ms", "tok/s", [new SweepPoint(8, 300, 80), new SweepPoint(1, 50, 40)]),
            new SweepCurve("bbbb", "ms", "tok/s", [new SweepPoint(1, 45, 44), new SweepPoint(8, 260, 95)]),
        };

        var layout = SweepLayout.Of(curves, width: 500, height: 300, left: 50, right: 50, top: 0, bottom: 100);

        // Axis ends: 500 tok/s and 100 ms; the plot is 400 x 200 px.
        Assert.Equal([1, 8], layout.Curves[0].Points.Select(p => p.Concurrency));
        Assert.Equal("90,120 290,40", layout.Curves[0].Polyline);
        Assert.Equal((258, 10), (layout.Curves[1].Points[1].X, layout.Curves[1].Points[1].Y));
        Assert.Equal(["0", "125", "250", "375", "500"], layout.XTicks.Select(t => t.Label));
        Assert.Equal(["0", "25", "50", "75", "100"], layout.YTicks.Select(t => t.Label));
        Assert.Equal("concurrency 8: 300 tok/s, 80 ms", layout.Curves[0].Points[1].Title);
    }
}
