using Bunit;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Ui.Bisect;

namespace PerfCI.Ui.Tests;

/// <summary>The bisect page's logic: steps in range order, the culprit with its change, cancel only for a maintainer.</summary>
public sealed class BisectPageTests : BunitContext
{
    private readonly Queries _queries = new();
    private readonly Actions _actions = new();

    public BisectPageTests()
    {
        Services.AddMudServicesForTests();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton<IBisectQueries>(_queries);
        Services.AddSingleton<IBisectActions>(_actions);
    }

    [Fact]
    public void FinishedBisect_ShowsItsStepsInRangeOrder_AndTheCulpritWithItsChange()
    {
        AddAuthorization().SetAuthorized("viewer@perfci.test").SetRoles(PerfCiRoles.Viewer);
        _queries.Bisect = Bisect(BisectState.Succeeded, culprit: true);

        var page = Render<BisectPage>(p => p.Add(c => c.Id, 7));

        Assert.Equal("succeeded", page.Find("[data-testid=bisect-state]").TextContent.Trim());
        // Measured in the order good, bad, 8, 4, 6, 5: shown in range order.
        Assert.Equal(["0", "4", "5", "6", "8", "16"], page.FindAll("[data-testid=bisect-step-row]").Select(r => r.Children[0].TextContent.Trim()));
        Assert.Equal(["same_as_good", "same_as_good", "same_as_bad", "same_as_bad", "same_as_bad", "same_as_bad"],
            page.FindAll("[data-testid=bisect-step-row]").Select(r => r.GetAttribute("data-decision")));
        var culprit = page.Find("[data-testid=bisect-culprit]").TextContent;
        Assert.Contains("c5c5c5c5c5c5", culprit, StringComparison.Ordinal);
        Assert.Contains("+8.1%", culprit, StringComparison.Ordinal);
        Assert.Contains("+7.2%", culprit, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=bisect-cancel]"));
    }

    [Fact]
    public void RunningBisect_OffersCancelToAMaintainer_AndCancelGoesToTheServer()
    {
        AddAuthorization().SetAuthorized("maintainer@perfci.test").SetRoles(PerfCiRoles.Maintainer);
        _queries.Bisect = Bisect(BisectState.Running, culprit: false);

        var page = Render<BisectPage>(p => p.Add(c => c.Id, 7));
        _queries.Bisect = _queries.Bisect with { State = BisectState.Cancelled };
        page.Find("[data-testid=bisect-cancel]").Click();

        Assert.Equal([7L], _actions.Cancelled);
        page.WaitForAssertion(() => Assert.Equal("cancelled", page.Find("[data-testid=bisect-state]").TextContent.Trim()));
        Assert.Empty(page.FindAll("[data-testid=bisect-cancel]"));
    }

    [Fact]
    public void RunningBisect_OffersNoCancel_ToAViewer()
    {
        AddAuthorization().SetAuthorized("viewer@perfci.test").SetRoles(PerfCiRoles.Viewer);
        _queries.Bisect = Bisect(BisectState.Running, culprit: false);

        var page = Render<BisectPage>(p => p.Add(c => c.Id, 7));

        Assert.Equal("running", page.Find("[data-testid=bisect-state]").TextContent.Trim());
        Assert.Empty(page.FindAll("[data-testid=bisect-cancel]"));
    }

    private static BisectDetail Bisect(BisectState state, bool culprit)
    {
        static string Sha(int index) => string.Concat(Enumerable.Repeat(index == 5 ? "c5" : $"{index:x2}", 20));
        var measured = new[] { (0, BisectDecision.SameAsGood), (16, BisectDecision.SameAsBad), (8, BisectDecision.SameAsBad), (4, BisectDecision.SameAsGood), (6, BisectDecision.SameAsBad), (5, BisectDecision.SameAsBad) };
        var steps = measured.Select((m, i) => new BisectStepView(
            i + 1, i, Sha(m.Item1), $"change {m.Item1}", m.Item1, 100 + i, RunState.Succeeded, [10.0, 10.2, 9.9], 10.0, 9.9, 10.2, m.Item2, 0.004, null,
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch)).ToList();
        return new BisectDetail(
            7, "acme/engine", "serving", "chat@c4", "tpot_p50", "ms", "h100-80gb-x1", MetricDirection.LowerIsBetter, BisectMode.FirstParent, state,
            culprit ? "culprit" : null, culprit ? "Narrowed to one commit." : null, Sha(0), Sha(16),
            culprit ? new BisectCommitView(Sha(5), "change 5", "Ada") : null, culprit ? Sha(4) : null, culprit ? Sha(5) : null,
            culprit ? 0.081 : null, culprit ? 0.072 : null, culprit ? 0.09 : null, 5, 40, 30, 24, 0.5, 17, 11, 3, "ops@perfci.test",
            DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, steps);
    }

    private sealed class Queries : IBisectQueries
    {
        public BisectDetail? Bisect { get; set; }

        public Task<BisectDetail?> GetAsync(long id, CancellationToken cancellationToken) => Task.FromResult(Bisect?.Id == id ? Bisect : null);

        public Task<IReadOnlyList<BisectSummary>> ListAsync(string? repository, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<BisectFormChoices> GetFormChoicesAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<BisectForm?> GetAlertPrefillAsync(long alertId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private sealed class Actions : IBisectActions
    {
        public List<long> Cancelled { get; } = [];

        public Task<BisectActionResult> CancelAsync(long id, CancellationToken cancellationToken)
        {
            Cancelled.Add(id);
            return Task.FromResult(BisectActionResult.Done(id));
        }

        public Task<BisectActionResult> StartAsync(BisectForm form, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
