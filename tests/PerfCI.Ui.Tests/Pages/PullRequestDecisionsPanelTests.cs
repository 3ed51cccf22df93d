using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Ui.PullRequests;

namespace PerfCI.Ui.Tests.Pages;

public sealed class PullRequestDecisionsPanelTests : BunitContext
{
    private readonly RecordingPullRequestActions _actions = new();

    public PullRequestDecisionsPanelTests()
    {
        Services.AddMudServicesForTests();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton<IPullRequestActions>(_actions);
    }

    private static PullRequestDetail Detail(PullRequestVerdict verdict, bool requiresApproval, DateTimeOffset? approvedAt = null) => new(
        new PullRequestItem(3, "acme/engine", 12, "Faster sampler", "outsider", PullRequestState.Open, new string('c', 40), true, verdict, DateTimeOffset.UnixEpoch),
        "main", null, requiresApproval, approvedAt is null ? null : "mia", approvedAt, null, null, false, [], []);

    [Fact]
    public async Task WaitingForkPullRequest_OffersApprove_AndSendsIt()
    {
        AddAuthorization().SetAuthorized("mia").SetRoles(PerfCiRoles.Maintainer);
        var panel = Render<PullRequestDecisionsPanel>(p => p.Add(c => c.Detail, Detail(PullRequestVerdict.WaitingForApproval, true)));

        Assert.Empty(panel.FindAll("[data-testid=acknowledge-regression]"));
        await panel.Find("[data-testid=approve-pull]").ClickAsync(new MouseEventArgs());

        Assert.Equal([("mia", "approve acme/engine", 12, (string?)null)], _actions.Calls);
    }

    [Fact]
    public async Task Regression_OffersAcknowledgeWithANote_AndNoApproveOnceApproved()
    {
        AddAuthorization().SetAuthorized("mia").SetRoles(PerfCiRoles.Maintainer);
        var panel = Render<PullRequestDecisionsPanel>(p => p.Add(c => c.Detail, Detail(PullRequestVerdict.Regression, true, DateTimeOffset.UnixEpoch)));

        Assert.Empty(panel.FindAll("[data-testid=approve-pull]"));
        await panel.Find("textarea[data-testid=acknowledge-note]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "worth 10%" });
        await panel.Find("[data-testid=acknowledge-regression]").ClickAsync(new MouseEventArgs());

        Assert.Equal([("mia", "acknowledge acme/engine", 12, (string?)"worth 10%")], _actions.Calls);
    }

    [Fact]
    public void Viewer_GetsNoDecision()
    {
        AddAuthorization().SetAuthorized("vic").SetRoles(PerfCiRoles.Viewer);

        var panel = Render<PullRequestDecisionsPanel>(p => p.Add(c => c.Detail, Detail(PullRequestVerdict.Regression, true)));

        Assert.Empty(panel.FindAll("[data-testid=pull-decisions]"));
    }
}
