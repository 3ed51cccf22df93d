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
/// target), with where that time went (the page's HTML, the chart's data, the circuit); then hover
/// and zoom times on the loaded chart.
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
        var draw = new List<double>();
        var html = new List<double>();
        var keys = new List<double>();
        var build = new List<double>();
        var asked = new List<double>();
        var sent = new List<double>();
        var firstByte = new List<double>();
        var received = new List<double>();
        var interactive = new List<double>();
        var adopted = new List<double>();
        var hover = new List<double>();
        var zoom = new List<double>();
        var (transferred, decoded) = (0.0, 0.0);
        var requests = new List<int>();
        for (var load = 0; load <= loads; load++)
        {
            await using var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
            // When the circuit made the page interactive (the marker the browser tests wait for).
            await context.AddInitScriptAsync("""
                new MutationObserver((_, observer) => {
                    if (document.querySelector('[data-testid=interactive]')) { window.__interactiveAt = performance.now(); observer.disconnect(); }
                }).observe(document, { childList: true, subtree: true });
                """);
            var page = await context.NewPageAsync();
            await page.GotoAsync(url);
            var chart = page.Locator($"[data-testid=trend-chart][data-points='{points.ToString(CultureInfo.InvariantCulture)}']");
            await chart.WaitForAsync(new() { Timeout = 120_000 });
            // Hover and zoom on the page as it stays: interactive, the chart in the circuit's element.
            await page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 120_000 });
            await page.Locator("[data-testid=trend-summary]").WaitForAsync(new() { Timeout = 120_000 });
            var figures = await page.EvaluateAsync<JsonElement>(Measure);
            if (load == 0)
                continue; // the first load warms the server's JIT and pools
            data.Add(double.Parse((await chart.GetAttributeAsync("data-query-ms"))!, CultureInfo.InvariantCulture));
            painted.Add(double.Parse((await chart.GetAttributeAsync("data-painted-at"))!, CultureInfo.InvariantCulture));
            draw.Add(double.Parse((await chart.GetAttributeAsync("data-draw-ms"))!, CultureInfo.InvariantCulture));
            if (await chart.GetAttributeAsync("data-adopted-at") is { } adoptedAt)
                adopted.Add(double.Parse(adoptedAt, CultureInfo.InvariantCulture));
            var timeline = figures.GetProperty("timeline");
            html.Add(timeline.GetProperty("html").GetDouble());
            keys.Add(timeline.GetProperty("keys").GetDouble());
            build.Add(timeline.GetProperty("build").GetDouble());
            asked.Add(timeline.GetProperty("asked").GetDouble());
            sent.Add(timeline.GetProperty("sent").GetDouble());
            firstByte.Add(timeline.GetProperty("firstByte").GetDouble());
            received.Add(timeline.GetProperty("data").GetDouble());
            interactive.Add(timeline.GetProperty("interactive").GetDouble());
            requests.Add(timeline.GetProperty("requests").GetInt32());
            (transferred, decoded) = (timeline.GetProperty("transferred").GetDouble(), timeline.GetProperty("decoded").GetDouble());
            hover.AddRange(figures.GetProperty("hover").EnumerateArray().Select(e => e.GetDouble()));
            zoom.AddRange(figures.GetProperty("zoom").EnumerateArray().Select(e => e.GetDouble()));
        }

        // The chart's data endpoint alone, as the browser asks for it (gzip), after the page loads (which
        // are measured as before: one warm-up load only).
        var endpoint = new List<(double Total, double Db, double Build)>();
        using (var http = new HttpClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.GZip }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/") })
        {
            for (var call = 0; call <= loads; call++)
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                using var response = await http.GetAsync($"api/trends/chart?repo={Uri.EscapeDataString(Repository)}&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=h100");
                await response.Content.ReadAsByteArrayAsync();
                var timing = string.Join(",", response.Headers.GetValues("Server-Timing"));
                double Dur(string name) => double.Parse(System.Text.RegularExpressions.Regex.Match(timing, name + @";dur=([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
                if (call > 0)
                    endpoint.Add((watch.Elapsed.TotalMilliseconds, Dur("db"), Dur("build")));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            trends page, {points} points, {loads} loads (median, [min - max]):
              data (server query of the series)         {Median(data),7:0.0} ms  [{data.Min():0.0} - {data.Max():0.0}]
              chart script (draw, once data and uPlot)  {Median(draw),7:0.0} ms  [{draw.Min():0.0} - {draw.Max():0.0}]
              navigation start -> chart painted         {Median(painted),7:0.0} ms  [{painted.Min():0.0} - {painted.Max():0.0}]  (target < 1000 ms)
              hover (cursor moved -> tooltip painted)   {Median(hover),7:0.0} ms  p95 {Quantile(hover, 0.95):0.0} ms
              zoom (scale set -> chart repainted)       {Median(zoom),7:0.0} ms  p95 {Quantile(zoom, 0.95):0.0} ms
              on the server: series keys {Median(keys):0.0} ms, chart model {Median(build):0.0} ms (medians)
            the data endpoint alone ({loads} calls, no page loading beside it): {Median([.. endpoint.Select(e => e.Total)]):0.0} ms [{endpoint.Min(e => e.Total):0.0} - {endpoint.Max(e => e.Total):0.0}], of which series query {Median([.. endpoint.Select(e => e.Db)]):0.0} ms, chart model {Median([.. endpoint.Select(e => e.Build)]):0.0} ms
            where the time went (navigation start -> ...):
              page's HTML received                      {Median(html),7:0.0} ms  [{html.Min():0.0} - {html.Max():0.0}]
              chart's data asked for                    {Median(asked),7:0.0} ms  [{asked.Min():0.0} - {asked.Max():0.0}]
              chart's data request sent                 {Median(sent),7:0.0} ms  [{sent.Min():0.0} - {sent.Max():0.0}]
              chart's data: first byte                  {Median(firstByte),7:0.0} ms  [{firstByte.Min():0.0} - {firstByte.Max():0.0}]
              chart's data received ({transferred / 1024:0} KiB on the wire, {decoded / 1024:0} KiB of JSON; requests per load: {string.Join(",", requests.Distinct())})
                                                        {Median(received),7:0.0} ms  [{received.Min():0.0} - {received.Max():0.0}]
              circuit interactive                       {Median(interactive),7:0.0} ms  [{interactive.Min():0.0} - {interactive.Max():0.0}]
              chart moved into the circuit's element    {(adopted.Count > 0 ? Median(adopted) : double.NaN),7:0.0} ms  ({adopted.Count} of {loads} loads drawn before the circuit)
            """));
        return Median(painted) < 1000 ? 0 : 1;
    }

    /// <summary>
    /// The page's timeline (from the browser's navigation and resource timing), then hover and zoom on
    /// the drawn chart, each timed to the frame after it was painted.
    /// </summary>
    private const string Measure = """
        async () => {
            const navigation = performance.getEntriesByType('navigation')[0];
            const readings = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/trends/chart'));
            const reading = readings[0];
            const timeline = {
                html: navigation.responseEnd, asked: reading?.startTime ?? NaN, sent: reading?.requestStart ?? NaN, firstByte: reading?.responseStart ?? NaN, data: reading?.responseEnd ?? NaN, interactive: window.__interactiveAt ?? NaN,
                requests: readings.length, transferred: reading?.transferSize ?? NaN, decoded: reading?.decodedBodySize ?? NaN,
                keys: reading?.serverTiming.find(t => t.name === 'keys')?.duration ?? NaN,
                build: reading?.serverTiming.find(t => t.name === 'build')?.duration ?? NaN,
            };
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
            return { timeline, hover, zoom };
        }
        """;

    private static double Median(List<double> values) => Quantile(values, 0.5);

    private static double Quantile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
    }
}
