using Bunit;
using PerfCI.Ui.Components;

namespace PerfCI.Ui.Tests;

public sealed class StatCardTests : BunitContext
{
    [Fact]
    public void Renders_TitleValueAndDetail_UnderItsTestId()
    {
        Services.AddMudServicesForTests();

        var card = Render<StatCard>(p => p
            .Add(c => c.Title, "Runners online")
            .Add(c => c.Value, "3 / 4")
            .Add(c => c.Detail, "1 busy, 1 offline")
            .Add(c => c.TestId, "fleet"));

        var paper = card.Find("[data-testid=fleet]");
        Assert.Contains("Runners online", paper.TextContent);
        Assert.Contains("3 / 4", paper.TextContent);
        Assert.Contains("1 busy, 1 offline", paper.TextContent);
    }
}
