using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using PerfCI.Core.Domain;
using PerfCI.Ui.Trends;

namespace PerfCI.Ui.Tests;

public sealed class TrendsPageTests : BunitContext
{
    private const string Module = "./_content/PerfCI.Ui/trends/trendChart.js";
    private readonly InMemoryTrendQueries _queries = new();

    public TrendsPageTests()
    {
        Services.AddMudServicesForTests();
        Services.AddSingleton<ITrendQueries>(_queries);
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    [Fact]
    public void DeepLink_RestoresTheSelection_AndHasTheChartScriptReadItsSeries()
    {
        var module = JSInterop.SetupModule(Module);
        module.Setup<TrendChartDrawn>("render", _ => true).SetResult(new TrendChartDrawn(3, 1, 0));
        Render<MudPopoverProvider>();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/trends?repo=acme%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p99&hw=a100");

        var page = Render<Trends.Trends>();

        page.WaitForAssertion(() => Assert.Single(module.Invocations, i => i.Identifier == "render"), TimeSpan.FromSeconds(10));
        // The points do not cross the circuit: the script reads them from the server's endpoint.
        const string source = "api/trends/chart?repo=acme%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p99&hw=a100";
        Assert.Equal(source, module.Invocations.Single(i => i.Identifier == "render").Arguments[1]);
        Assert.Equal(source, page.Find("[data-testid=trend-chart]").GetAttribute("data-trend-src"));
        Assert.Equal(0, _queries.SeriesReads);
        Assert.Empty(_queries.Prepared);
        Assert.Equal("acme/engine", InputValue(page, "pick-repository"));
        Assert.Equal("chat@c1", InputValue(page, "pick-scenario"));
        Assert.Equal("ttft_p99", InputValue(page, "pick-metric"));
        Assert.Equal("a100", InputValue(page, "pick-hardware"));
        page.WaitForAssertion(() => Assert.Contains("3 commits in first-parent order · 1 change points · 0 alerts",
            page.Find("[data-testid=trend-summary]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Prerender_HoldsThePickersAndTheChartsSource_WithoutReadingTheSweep()
    {
        SetRendererInfo(new RendererInfo("Static", isInteractive: false));
        Render<MudPopoverProvider>();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/trends?repo=acme%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p50&metric=ttft_p99&hw=h100&sweep=aaa");

        var page = Render<Trends.Trends>();

        // What the chart script, loaded with the page, reads and draws before the circuit starts.
        Assert.Equal("api/trends/chart?repo=acme%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p50&metric=ttft_p99&hw=h100",
            page.Find("[data-testid=trend-chart]").GetAttribute("data-trend-src"));
        Assert.Equal("ttft_p50", InputValue(page, "pick-metric"));
        // ... which the server starts reading now.
        Assert.Equal("api/trends/chart?repo=acme%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p50&metric=ttft_p99&hw=h100",
            Assert.Single(_queries.Prepared).ToChartDataUri());
        Assert.Null(_queries.LastSweep);
        Assert.Empty(page.FindAll("[data-testid=sweep-curve]"));
    }

    [Fact]
    public void ChartThatCouldNotBeRead_SaysWhy_AndOneWithNoPoints_SaysSo()
    {
        var module = JSInterop.SetupModule(Module);
        module.Setup<TrendChartDrawn>("render", i => ((string)i.Arguments[1]!).Contains("metric=ttft_p99", StringComparison.Ordinal))
            .SetResult(new TrendChartDrawn(0, 0, 0, "The chart's data could not be read: 401 Unauthorized"));
        module.Setup<TrendChartDrawn>("render", i => ((string)i.Arguments[1]!).Contains("metric=ttft_p50", StringComparison.Ordinal))
            .SetResult(new TrendChartDrawn(0, 0, 0));
        Render<MudPopoverProvider>();
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/trends?repo=acme%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p99&hw=h100");

        var page = Render<Trends.Trends>();

        page.WaitForAssertion(() => Assert.Contains("401 Unauthorized", page.Find("[data-testid=chart-error]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains("d-none", page.Find("[data-testid=trend-chart]").ClassList);
        navigation.NavigateTo("/trends?repo=acme%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=h100");
        page.Render(); // what the router does on a navigation
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=no-points]")), TimeSpan.FromSeconds(10));
        Assert.Empty(page.FindAll("[data-testid=chart-error]"));
        Assert.Empty(page.FindAll("[data-testid=trend-summary]"));
        Assert.Contains("d-none", page.Find("[data-testid=trend-chart]").ClassList);
    }

    [Fact]
    public void BareUrl_PicksTheFirstSeries_AndOffersTheSweepOfAConcurrencyScenario()
    {
        JSInterop.SetupModule(Module).Setup<TrendChartDrawn>("render", _ => true).SetResult(new TrendChartDrawn(3, 1, 0));
        Render<MudPopoverProvider>();
        Services.GetRequiredService<NavigationManager>().NavigateTo("/trends?sweep=aaa&sweep=bbb");

        var page = Render<Trends.Trends>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=sweep-curve]")), TimeSpan.FromSeconds(10));
        Assert.Equal("ttft_p50", InputValue(page, "pick-metric"));
        Assert.Equal("h100", InputValue(page, "pick-hardware"));
        Assert.Equal(["aaa", "bbb"], page.FindAll("[data-testid=sweep-curve]").Select(c => c.GetAttribute("data-commit")));
        Assert.Equal(new SweepRequest("acme/engine", "serving", "chat", "h100", "ttft_p50", "output_throughput", ["aaa", "bbb"]) with { Commits = _queries.LastSweep!.Commits },
            _queries.LastSweep);
    }

    /// <summary>MudBlazor puts a field's attributes on its input element.</summary>
    private static string? InputValue(IRenderedComponent<Trends.Trends> page, string testId)
    {
        var element = page.Find($"[data-testid={testId}]");
        return (element.TagName == "INPUT" ? element : element.QuerySelector("input"))?.GetAttribute("value");
    }

    /// <summary>Three series of one repository; the pages read them as they would from the server.</summary>
    private sealed class InMemoryTrendQueries : ITrendQueries
    {
        public Dictionary<long, TrendSeries> Series { get; } = new()
        {
            [1] = Make(1, "ttft_p50", "h100", 100),
            [2] = Make(2, "ttft_p99", "h100", 130),
            [3] = Make(3, "ttft_p99", "a100", 160),
        };

        public SweepRequest? LastSweep { get; private set; }

        /// <summary>Series read through the page (its circuit): none, the chart script reads them from the server.</summary>
        public int SeriesReads { get; private set; }

        public List<TrendSelection> Prepared { get; } = [];

        public void PrepareChart(TrendSelection selection) => Prepared.Add(selection);

        public Task<IReadOnlyList<SeriesKey>> GetSeriesKeysAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<SeriesKey>>([.. Series.Values.Select(s => s.Key)]);

        public Task<TrendSeries?> GetSeriesAsync(long seriesId, CancellationToken cancellationToken)
        {
            SeriesReads++;
            return Task.FromResult(Series.GetValueOrDefault(seriesId));
        }

        public Task<IReadOnlyList<SweepCurve>> GetSweepAsync(SweepRequest request, CancellationToken cancellationToken)
        {
            LastSweep = request;
            return Task.FromResult<IReadOnlyList<SweepCurve>>([.. request.Commits.Select(c => new SweepCurve(c, "ms", "tok/s", [new SweepPoint(1, 50, 40), new SweepPoint(8, 300, 80)]))]);
        }

        private static TrendSeries Make(long id, string metric, string hardware, double level) =>
            new(new SeriesKey(id, "acme/engine", "serving", "chat@c1", metric, hardware, "ms", MetricDirection.LowerIsBetter),
                [.. Enumerable.Range(0, 3).Select(i => new TrendPoint(10 + i, i, $"{id}{i}".PadRight(40, 'a'), $"change {i}", "Ana", DateTimeOffset.UnixEpoch, 100 + i,
                    level * (i == 2 ? 1.1 : 1), level * 0.98, level * 1.12, 5))],
                [new TrendChangePoint(12, "x", ChangeKind.Regression, 0.1, 0.08, 0.12, false)],
                []);
    }
}
