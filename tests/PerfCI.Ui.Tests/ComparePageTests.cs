using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;
using PerfCI.Ui.Compare;

namespace PerfCI.Ui.Tests;

public sealed class ComparePageTests : BunitContext
{
    private readonly RecordingCompareQueries _queries = new();

    public ComparePageTests()
    {
        Services.AddMudServicesForTests();
        Services.AddSingleton<ICompareQueries>(_queries);
        JSInterop.Mode = JSRuntimeMode.Loose;
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        Render<MudPopoverProvider>();
    }

    [Fact]
    public void RunLink_FromThePullRequestComment_ListsRegressionsFirst_ThenInconclusive_ImprovementsAndNoChange()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/compare?run=42&base=abc123");

        var page = Render<Compare.Compare>();

        page.WaitForAssertion(() => Assert.Equal(5, page.FindAll("[data-testid=compare-row]").Count), TimeSpan.FromSeconds(10));
        Assert.Equal(("run", 42L, "abc123"), _queries.Asked);
        Assert.Equal(["regression", "regression", "inconclusive", "improvement", "no change"],
            page.FindAll("[data-testid=compare-row]").Select(r => r.GetAttribute("data-verdict")));
        // Within regressions the larger change comes first.
        Assert.Equal(["tpot_p50", "ttft_p50"], page.FindAll("[data-testid=compare-row][data-verdict=regression]").Select(r => r.GetAttribute("data-metric")));
        Assert.Contains("+12% (+9% to +15%)", page.Find("[data-testid=compare-table]").TextContent, StringComparison.Ordinal);
        Assert.Contains("regression", page.Find("[data-testid=compare-verdict]").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/compare?pr=acme/engine/7", "pr", "acme/engine#7")]
    [InlineData("/compare?pr=acme%2Fengine%237", "pr", "acme/engine#7")]
    [InlineData("/compare?repo=acme/engine&base=aaa&head=bbb&hw=h100", "commits", "acme/engine aaa..bbb h100")]
    public void Url_AsksForWhatItNames(string url, string kind, string what)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(url);

        var page = Render<Compare.Compare>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=compare-row]")), TimeSpan.FromSeconds(10));
        Assert.Equal(kind, _queries.Asked?.Kind);
        Assert.Equal(what, _queries.What);
    }

    [Theory]
    [InlineData("/compare?pr=acme-engine-7", "pr: 'acme-engine-7' is not owner/name/number.")]
    [InlineData("/compare?run=forty", "run: 'forty' is not a run number.")]
    public void BadUrl_SaysWhichFieldIsWrong_AndAsksNothing(string url, string problem)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(url);

        var page = Render<Compare.Compare>();

        Assert.Equal(problem, page.Find("[data-testid=compare-problem]").TextContent.Trim());
        Assert.Null(_queries.Asked);
    }

    [Fact]
    public void RequestUri_RoundTrips_EachForm()
    {
        CompareRequest[] requests =
        [
            new() { Repository = "acme/engine", Base = "aaa", Head = "bbb", HardwareClass = "h100" },
            new() { Repository = "acme/engine", PullRequest = 7 },
            new() { RunId = 42, Base = "abc" },
        ];

        Assert.Equal(["/compare?repo=acme%2Fengine&base=aaa&head=bbb&hw=h100", "/compare?pr=acme%2Fengine%2F7", "/compare?run=42&base=abc"], requests.Select(r => r.ToUri()));
        Assert.Equal(requests, requests.Select(r => CompareRequest.FromUri(r.ToUri())));
    }

    private sealed class RecordingCompareQueries : ICompareQueries
    {
        public (string Kind, long Run, string? Base)? Asked { get; private set; }
        public string? What { get; private set; }

        public Task<CompareOutcome> CompareCommitsAsync(string repository, string @base, string head, string? hardwareClass, CancellationToken cancellationToken)
        {
            (Asked, What) = (("commits", 0, @base), $"{repository} {@base}..{head} {hardwareClass}");
            return Task.FromResult(Outcome());
        }

        public Task<CompareOutcome> ComparePullRequestAsync(string repository, int number, CancellationToken cancellationToken)
        {
            (Asked, What) = (("pr", 0, null), $"{repository}#{number}");
            return Task.FromResult(Outcome());
        }

        public Task<CompareOutcome> CompareRunAsync(long runId, string? @base, CancellationToken cancellationToken)
        {
            Asked = ("run", runId, @base);
            return Task.FromResult(Outcome());
        }

        private static CompareOutcome Outcome()
        {
            MetricChange[] metrics =
            [
                Change("output_throughput", Verdict.NoChange, 0.001),
                Change("ttft_p50", Verdict.Regression, 0.12, 0.09, 0.15),
                Change("ttft_p99", Verdict.Improvement, -0.2),
                Change("tpot_p50", Verdict.Regression, 0.3),
                Change("itl_p50", Verdict.Inconclusive, 0.05),
            ];
            return new CompareOutcome(new CompareResult("acme/engine", 42, new string('b', 40), "abc123", null, Verdict.Regression, 2, 1, 1, metrics), null);
        }

        private static MetricChange Change(string metric, Verdict verdict, double shift, double? lower = null, double? upper = null) =>
            new(1, "serving", "chat@c1", metric, "ms", MetricDirection.LowerIsBetter, "h100", verdict, shift, lower ?? shift - 0.01, upper ?? shift + 0.01, 0.001,
                100, 100 * (1 + shift), 25, 5, "why");
    }
}
