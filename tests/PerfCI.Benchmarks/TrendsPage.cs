using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using PerfCI.Testing;

namespace PerfCI.Benchmarks;

/// <summary>
/// The trends page with a long series: the real server (Kestrel on loopback) on real PostgreSQL, a
/// series of <c>points</c> commits in first-parent order with a step (its change point found by the
/// server's own analysis after an upload), opened in Debian's Chromium <c>loads</c> times, each in a
/// fresh browser context (no cache). Reported per load: the server's query time (data), and the time
/// from navigation start to the chart's first paint (data + first paint, the figure with the 1 s
/// target); then hover and zoom times on the loaded chart.
/// </summary>
public static class TrendsPage
{
    private const string Repository = "bench/trends";

    public static async Task<int> RunAsync(int points, int loads)
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync("trendspage");
        using var workdir = new TempDirectory();
        var port = FreePort.Next();
        // Outside a test project WebApplicationFactory cannot tell where the server's content root is.
        if (Environment.GetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PERFCI") is null)
            Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PERFCI", Path.Combine(RepositoryPaths.Root, "src", "PerfCI.Server"));
        await using var server = new PerfCiServerFactory(connectionString, new Dictionary<string, string>
        {
            ["Logging:LogLevel:Default"] = "Warning",
            ["Git:CacheDirectory"] = Path.Combine(workdir.Path, "mirrors"),
        });
        server.UseKestrel(port);
        server.StartServer();

        Console.WriteLine($"seeding {points} commits ...");
        var shas = await TrendSeeds.BulkHistoryAsync(connectionString, Repository, points, stepAt: points * 6 / 10);
        // A re-run of the newest commit through the upload path: the server analyses the whole series.
        await TrendSeeds.UploadAsync(server.Services, Repository, shas[^1], TrendSeeds.Document(1, ttft: 110, throughput: 50));
        await server.WaitForBackgroundJobsAsync(TimeSpan.FromMinutes(10));
        await using (var db = server.CreateDbContext())
        {
            var changes = await db.ChangePoints.AsNoTracking().Where(c => c.Series.Repository.Name == "trends").CountAsync();
            Console.WriteLine($"series analysed by the server: {changes} change point(s)");
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = "/usr/bin/chromium",
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var url = $"http://127.0.0.1:{port}/trends?repo={Uri.EscapeDataString(Repository)}&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=h100";
        var data = new List<double>();
        var painted = new List<double>();
        var render = new List<double>();
        var hover = new List<double>();
        var zoom = new List<double>();
        for (var load = 0; load <= loads; load++)
        {
            await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
            var page = await context.NewPageAsync();
            await page.GotoAsync(url);
            var chart = page.Locator($"[data-testid=trend-chart][data-points='{points.ToString(CultureInfo.InvariantCulture)}']");
            await chart.WaitForAsync(new() { Timeout = 120_000 });
            var figures = await page.EvaluateAsync<JsonElement>(Measure);
            if (load == 0)
                continue; // the first load warms the server's JIT and pools
            data.Add(double.Parse((await chart.GetAttributeAsync("data-query-ms"))!, CultureInfo.InvariantCulture));
            painted.Add(double.Parse((await chart.GetAttributeAsync("data-painted-at"))!, CultureInfo.InvariantCulture));
            render.Add(double.Parse((await chart.GetAttributeAsync("data-render-ms"))!, CultureInfo.InvariantCulture));
            hover.AddRange(figures.GetProperty("hover").EnumerateArray().Select(e => e.GetDouble()));
            zoom.AddRange(figures.GetProperty("zoom").EnumerateArray().Select(e => e.GetDouble()));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            trends page, {points} points, {loads} loads (median, [min - max]):
              data (server query of the series)         {Median(data),7:0.0} ms  [{data.Min():0.0} - {data.Max():0.0}]
              chart script (uPlot load + draw)          {Median(render),7:0.0} ms  [{render.Min():0.0} - {render.Max():0.0}]
              navigation start -> chart painted         {Median(painted),7:0.0} ms  [{painted.Min():0.0} - {painted.Max():0.0}]  (target < 1000 ms)
              hover (cursor moved -> tooltip painted)   {Median(hover),7:0.0} ms  p95 {Quantile(hover, 0.95):0.0} ms
              zoom (scale set -> chart repainted)       {Median(zoom),7:0.0} ms  p95 {Quantile(zoom, 0.95):0.0} ms
            """));
        return Median(painted) < 1000 ? 0 : 1;
    }

    /// <summary>Hover and zoom on the drawn chart, each timed to the frame after it was painted.</summary>
    private const string Measure = """
        async () => {
            const host = document.querySelector('[data-testid=trend-chart]');
            const u = host._chart;
            const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
            const hover = [], zoom = [];
            for (let k = 0; k < 30; k++) {
                const t = performance.now();
                u.setCursor({ left: 20 + k * (u.over.clientWidth - 40) / 30, top: u.over.clientHeight / 2 });
                await frame();
                hover.push(performance.now() - t);
            }
            const n = u.data[0].length;
            for (let k = 1; k <= 10; k++) {
                const t = performance.now();
                u.setScale('x', { min: k * n / 40, max: n - 1 - k * n / 40 });
                await frame();
                zoom.push(performance.now() - t);
            }
            return { hover, zoom };
        }
        """;

    private static double Median(List<double> values) => Quantile(values, 0.5);

    private static double Quantile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
    }
}
