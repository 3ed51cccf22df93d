using Microsoft.Playwright;
using PerfCI.Ui.Tests.Browser;
using static Microsoft.Playwright.Assertions;

namespace PerfCI.Ui.Tests;

/// <summary>
/// The admin visits every page of the dashboard on the seeded server: each one runs on its circuit,
/// shows its main element, and leaves no error in the browser console. One screenshot per page.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class EveryPageBrowserTests(DashboardServer server, Chromium chromium)
{
    [Fact]
    public async Task Admin_VisitsEveryPage_EachShowsItsContent_WithoutConsoleErrors()
    {
        var seed = server.Seed;
        var repository = Uri.EscapeDataString(DashboardSeed.Repository);
        var regressionRun = seed.RunIds[DashboardSeed.RegressionCommitIndex];
        var before = seed.Commits[DashboardSeed.RegressionCommitIndex - 1];
        // (path, screenshot name, the element that shows the page has its content, text it must hold)
        (string Path, string Step, string TestId, string? Text)[] pages =
        [
            ("/", "home", "repository-table", DashboardSeed.Repository),
            ($"/trends?repo={repository}&suite={DashboardSeed.Suite}&scenario={Uri.EscapeDataString(DashboardSeed.Scenario)}&metric={DashboardSeed.RegressedMetric}&hw={Uri.EscapeDataString(seed.HardwareClass)}",
                "trends", "trend-summary", $"{DashboardSeed.CommitCount} commits in first-parent order"),
            ("/runs", "runs", "runs-table", DashboardSeed.Repository),
            ($"/runs/{regressionRun}", "run", "run-summary", seed.RegressionCommit),
            ($"/compare?repo={repository}&base={before}&head={seed.RegressionCommit}", "compare", "compare-table", DashboardSeed.RegressedMetric),
            ("/alerts?state=all", "alerts", "alert-group", DashboardSeed.RegressedMetric),
            ("/pulls", "pulls", "pulls-table", null),
            ("/bisects", "bisects", "bisect-new", null),
            ("/bisects/new", "bisect-new", "bisect-form", null),
            ("/runners", "runners", "runners-table", DashboardSeed.RunnerName),
            ("/settings", "settings", "github-status", null),
            ("/settings/users", "users", "users-table", DashboardServer.AdminEmail),
        ];
        await using var browser = await chromium.NewSessionAsync(server, nameof(Admin_VisitsEveryPage_EachShowsItsContent_WithoutConsoleErrors));
        await browser.LogInAsync(DashboardServer.AdminEmail, server.AdminPassword);

        foreach (var (path, step, testId, text) in pages)
        {
            var errorsBefore = browser.ConsoleErrors.Count;
            var response = await browser.GotoAsync(path, step);
            Assert.True(response?.Status == 200, $"{path} answered {response?.Status}");
            var main = browser.Page.GetByTestId(testId).First;
            await Expect(main).ToBeVisibleAsync(new() { Timeout = 60_000 });
            if (text is not null)
                await Expect(main).ToContainTextAsync(text, new() { Timeout = 60_000 });
            if (step == "trends")
            {
                // The chart script drew the deep-linked series: every commit, its change point.
                await Expect(browser.Page.GetByTestId("trend-chart")).ToHaveAttributeAsync("data-points", DashboardSeed.CommitCount.ToString(System.Globalization.CultureInfo.InvariantCulture), new() { Timeout = 60_000 });
                await Expect(browser.Page.GetByTestId("change-point-marker")).ToHaveCountAsync(1);
            }
            // The page as it looks with its content (GotoAsync's screenshot may precede the data).
            await browser.ScreenshotAsync(step + "-loaded");
            var errors = browser.ConsoleErrors.Skip(errorsBefore).ToList();
            Assert.True(errors.Count == 0, $"{path} logged console errors:\n{string.Join('\n', errors)}");
        }
    }
}
