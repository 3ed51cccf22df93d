using Microsoft.Playwright;
using PerfCI.Ui.Tests.Browser;
using static Microsoft.Playwright.Assertions;

namespace PerfCI.Ui.Tests;

/// <summary>The home page in Chromium, against the seeded server.</summary>
[Collection(BrowserCollection.Name)]
public sealed class HomePageTests(DashboardServer server, Chromium chromium)
{
    [Fact]
    public async Task Home_ShowsTheSeededRepository_OnceInteractive()
    {
        await using var browser = await chromium.NewSessionAsync(server, nameof(Home_ShowsTheSeededRepository_OnceInteractive));

        var response = await browser.GotoAsync("/");

        Assert.Equal(200, response?.Status);
        await Expect(browser.Page.GetByTestId("repository-table")).ToContainTextAsync(DashboardSeed.Repository);
        Assert.True(File.Exists(browser.Screenshots[0]), $"no screenshot at {browser.Screenshots[0]}");
        Assert.Empty(browser.ConsoleErrors);
    }
}
