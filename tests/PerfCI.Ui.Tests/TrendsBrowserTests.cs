using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Playwright;
using PerfCI.Testing;

namespace PerfCI.Ui.Tests;

/// <summary>
/// The trends page in Debian's Chromium against the real server (Kestrel on a free port) on real
/// PostgreSQL, with a series whose step the server's own change-point analysis found.
/// </summary>
public sealed class TrendsBrowserTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private static readonly string[] ChromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private readonly TempDirectory _temp = new();
    private readonly int _port = FreePort.Next();
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = new PerfCiServerFactory(database.ConnectionString, new Dictionary<string, string> { ["Git:CacheDirectory"] = Path.Combine(_temp.Path, "mirrors") });
        _server.UseKestrel(_port);
        _server.StartServer();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task DeepLinkedTrend_ShowsTheChangePoint_HoverShowsTheCommit_ClickOpensItsRun()
    {
        var git = GitRepository.Init(Path.Combine(_temp.Path, "engine"));
        var shas = git.CommitMany(30);
        using (var client = await _server.CreateClientAsync(PerfCI.Core.Access.PerfCiRoles.Admin))
            (await client.PostAsJsonAsync("/api/repositories", new { owner = "local", name = "engine", cloneUrl = git.Path }, Ct)).EnsureSuccessStatusCode();
        var runs = new List<long>();
        for (var i = 0; i < shas.Count; i++)
            runs.Add(await TrendSeeds.UploadAsync(_server.Services, "local/engine", shas[i], TrendSeeds.Document(i, ttft: i < 18 ? 100 : 112, throughput: 50), cancellationToken: Ct));
        await _server.WaitForBackgroundJobsAsync(TimeSpan.FromMinutes(2));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Args = ChromiumArgs });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        page.SetDefaultTimeout(60_000);
        // The browser's own errors explain a failure better than a timeout does.
        page.Console += (_, message) => TestContext.Current.TestOutputHelper?.WriteLine($"console {message.Type}: {message.Text}");
        page.PageError += (_, error) => TestContext.Current.TestOutputHelper?.WriteLine($"page error: {error}");
        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
                TestContext.Current.TestOutputHelper?.WriteLine($"{response.Status} {response.Url}");
        };
        await page.GotoAsync($"http://127.0.0.1:{_port}/trends?repo=local%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=h100");

        var chart = page.GetByTestId("trend-chart");
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-points", "30", new() { Timeout = 60_000 });
        var marker = page.GetByTestId("change-point-marker");
        await Assertions.Expect(marker).ToHaveCountAsync(1);
        await Assertions.Expect(marker).ToHaveAttributeAsync("data-index", "18");
        await Assertions.Expect(page.GetByTestId("alert-marker")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("pick-repository")).ToHaveValueAsync("local/engine");

        // Hover commit 5: the tooltip names it.
        var (x, y) = await PointAsync(page, 5);
        await page.Mouse.MoveAsync(x, y);
        await Assertions.Expect(page.GetByTestId("tooltip-sha")).ToHaveTextAsync(shas[5]);
        await Assertions.Expect(page.GetByTestId("trend-tooltip")).ToContainTextAsync("change 5");
        Directory.CreateDirectory(ScreenshotDirectory);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, "trends.png"), FullPage = true });

        // The click navigates through Blazor, so the circuit must be up; on a loaded machine a redraw
        // can also swallow one click, hence a few tries, each waiting for the address to change.
        await Assertions.Expect(page.GetByTestId("interactive")).ToBeAttachedAsync();
        var runPage = new System.Text.RegularExpressions.Regex($"/runs/{runs[5].ToString(CultureInfo.InvariantCulture)}$");
        for (var attempt = 1; ; attempt++)
        {
            (x, y) = await PointAsync(page, 5);
            await page.Mouse.MoveAsync(x, y);
            await page.Mouse.ClickAsync(x, y);
            try
            {
                await Assertions.Expect(page).ToHaveURLAsync(runPage, new() { Timeout = 20_000 });
                break;
            }
            catch (Exception) when (attempt < 3)
            {
            }
        }
    }

    /// <summary>Where commit <paramref name="index"/>'s point is drawn, in page coordinates.</summary>
    private static async Task<(float X, float Y)> PointAsync(IPage page, int index)
    {
        var point = await page.EvaluateAsync<float[]>("""
            i => {
                const host = document.querySelector('[data-testid=trend-chart]');
                const u = host._chart, over = u.over.getBoundingClientRect();
                const line = u.series.length - 1;
                return [over.left + u.valToPos(i, 'x'), over.top + u.valToPos(u.data[line][i], u.series[line].scale)];
            }
            """, index);
        return (point[0], point[1]);
    }

    /// <summary>Screenshots land beside the test assembly, where CI collects its artifacts.</summary>
    private static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");
}
