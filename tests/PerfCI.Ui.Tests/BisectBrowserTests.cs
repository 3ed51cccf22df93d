using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using PerfCI.Core.Access;
using PerfCI.Runner.Agent;
using PerfCI.Ui.Tests.Browser;
using static Microsoft.Playwright.Assertions;

namespace PerfCI.Ui.Tests;

/// <summary>
/// A maintainer starts a bisect of the seeded regression from its alert on /bisects/new, and watches
/// /bisects/{id} while a runner (this test, through the runner's own client; only the GPU is faked)
/// measures the commits the bisect asks for: steps appear and get their decisions without a reload,
/// and the page ends on the culprit.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BisectBrowserTests(DashboardServer server, Chromium chromium)
{
    /// <summary>The range the form is widened to, so the search takes several steps (commit indexes of main).</summary>
    private const int GoodIndex = 17, BadIndex = 33;

    [Fact]
    public async Task Maintainer_BisectsTheSeededAlert_PageFollowsTheRunnerToTheCulprit()
    {
        var ct = TestContext.Current.CancellationToken;
        var seed = server.Seed;
        var group = await server.Http.GetFromJsonAsync<JsonElement>($"/api/alert-groups/{seed.AlertGroupId}", ct);
        var alertId = group.GetProperty("alerts").EnumerateArray()
            .First(a => a.GetProperty("metric").GetString() == DashboardSeed.RegressedMetric && a.GetProperty("scenario").GetString() == DashboardSeed.Scenario)
            .GetProperty("id").GetInt64();
        var (email, password) = await server.CreateUserAsync(PerfCiRoles.Maintainer, ct);
        await using var browser = await chromium.NewSessionAsync(server, nameof(Maintainer_BisectsTheSeededAlert_PageFollowsTheRunnerToTheCulprit));
        var page = browser.Page;
        await browser.LogInAsync(email, password, $"/bisects/new?alert={alertId}");

        // The alert fills the form in; the range is widened to GoodIndex..BadIndex.
        await Expect(page.GetByTestId("bisect-from-alert")).ToContainTextAsync($"#{alertId}");
        await Expect(page.GetByTestId("bisect-bad")).Not.ToBeEmptyAsync();
        await FillAsync(page.GetByTestId("bisect-good"), seed.Commits[GoodIndex]);
        await FillAsync(page.GetByTestId("bisect-bad"), seed.Commits[BadIndex]);
        var trials = int.Parse(await page.GetByTestId("bisect-trials").InputValueAsync(), System.Globalization.CultureInfo.InvariantCulture);
        await browser.ScreenshotAsync("form");
        await Expect(page.GetByTestId("bisect-start")).ToBeEnabledAsync();
        await page.GetByTestId("bisect-start").ClickAsync();

        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex(@"/bisects/\d+$"), new() { Timeout = 60_000 });
        await browser.WaitForInteractiveAsync();
        var bisectUrl = page.Url;
        await Expect(page.GetByTestId("bisect-state")).ToBeVisibleAsync();
        await browser.ScreenshotAsync("start");

        // From here on the page is never reloaded: what changes, it shows by itself.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var runner = await DashboardSeed.ConnectRunnerAsync(server, "h100-bisect", ct);
        var runnerTask = ServeJobsAsync(runner, seed, trials, stop.Token);
        try
        {
            var decided = page.Locator("[data-testid=bisect-step-row]:not([data-decision=pending])");
            await Expect(decided.First).ToBeVisibleAsync(new() { Timeout = 180_000 });
            await browser.ScreenshotAsync("midway");

            var culprit = Expect(page.GetByTestId("bisect-culprit"));
            await culprit.ToContainTextAsync(seed.RegressionCommit[..12], new() { Timeout = 300_000 });
            await Expect(page.GetByTestId("bisect-state")).ToHaveTextAsync("succeeded", new() { Timeout = 60_000 });
            await Expect(Row(page, seed.RegressionCommit)).ToHaveAttributeAsync("data-decision", "same_as_bad");
            await Expect(Row(page, seed.Commits[DashboardSeed.RegressionCommitIndex - 1])).ToHaveAttributeAsync("data-decision", "same_as_good");
            await browser.ScreenshotAsync("culprit");
        }
        finally
        {
            await stop.CancelAsync();
        }
        var served = await runnerTask;

        Assert.Equal(bisectUrl, page.Url);
        Assert.True(served >= 2, $"the runner measured {served} commits; a bisect of {BadIndex - GoodIndex} commits needs several");
        Assert.Empty(browser.ConsoleErrors);
    }

    private static ILocator Row(IPage page, string sha) => page.Locator($"[data-testid=bisect-step-row][data-commit='{sha}']");

    /// <summary>MudTextField takes its value on change: fill, then leave the field.</summary>
    private static async Task FillAsync(ILocator field, string value)
    {
        await field.FillAsync(value);
        await field.PressAsync("Tab");
    }

    /// <summary>
    /// The runner's loop: claims whatever the bisect queued (the server waits up to its claim wait for
    /// one), uploads the claimed commit's results as the seed does (12% slower TTFT from the
    /// regression commit on), completes the job; until stopped. Returns how many jobs it served.
    /// </summary>
    private static async Task<int> ServeJobsAsync(ServerApi runner, DashboardSeed seed, int trials, CancellationToken stop)
    {
        var served = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (await runner.ClaimAsync(stop) is not { } job)
                    continue;
                var index = seed.Commits.ToList().IndexOf(job.CommitSha);
                if (index < 0)
                {
                    await runner.CompleteAsync(job, succeeded: false, error: $"{job.CommitSha} is not a seeded commit", engineLogTail: null, stop);
                    throw new InvalidOperationException($"Claimed job {job.JobId} of run {job.RunId} for {job.CommitSha}, which is not a commit of main.");
                }
                await runner.UploadAsync(job, DashboardSeed.Document(index, trials), stop);
                await runner.CompleteAsync(job, succeeded: true, error: null, engineLogTail: null, stop);
                served++;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped by the test: the bisect is over.
        }
        return served;
    }
}
