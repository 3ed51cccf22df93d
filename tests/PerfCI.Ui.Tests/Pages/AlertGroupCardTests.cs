using Bunit;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Ui.Alerts;

namespace PerfCI.Ui.Tests.Pages;

public sealed class AlertGroupCardTests : BunitContext
{
    private readonly RecordingAlertActions _actions = new();

    public AlertGroupCardTests()
    {
        Services.AddMudServicesForTests();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton<IAlertActions>(_actions);
    }

    private static AlertGroupItem Group(params AlertItem[] alerts) =>
        new(5, "acme/engine", new string('a', 40), new string('b', 40), AlertState.New, DateTimeOffset.UnixEpoch, null, null, alerts);

    private static AlertItem Alert(long id, AlertState state, long? changePoint = 9) =>
        new(id, "serving", "chat@c4", "ttft_p50", "ms", "h100x1", AlertKind.Regression, state, 0.1, 0.08, 0.12, changePoint, false, null, null);

    [Fact]
    public void Viewer_SeesTheAlerts_ButNoTriageAction()
    {
        AddAuthorization().SetAuthorized("vic").SetRoles(PerfCiRoles.Viewer);

        var card = Render<AlertGroupCard>(p => p.Add(c => c.Group, Group(Alert(1, AlertState.New))));

        Assert.Single(card.FindAll("[data-testid=alert-row]"));
        Assert.Empty(card.FindAll("[data-testid=alert-acknowledged]"));
        Assert.Empty(card.FindAll("[data-testid=group-acknowledged]"));
        Assert.Empty(card.FindAll("[data-testid=accept-step]"));
        Assert.True(card.Find("[data-testid=bisect-this]").HasAttribute("disabled"));
    }

    [Fact]
    public void Maintainer_IsOfferedOnlyTheMovesTheServerAllows()
    {
        AddAuthorization().SetAuthorized("mia").SetRoles(PerfCiRoles.Maintainer);

        var card = Render<AlertGroupCard>(p => p.Add(c => c.Group, Group(Alert(1, AlertState.New), Alert(2, AlertState.Acknowledged))));

        var rows = card.FindAll("[data-testid=alert-row]");
        bool Enabled(int row, string state) => !rows[row].QuerySelector($"[data-testid=alert-{state}]")!.HasAttribute("disabled");
        Assert.True(Enabled(0, "acknowledged"));
        Assert.False(Enabled(1, "acknowledged"));
        Assert.True(Enabled(1, "confirmed"));
        Assert.True(Enabled(1, "wont_fix"));
        Assert.Equal("/bisects/new?alert=1", card.Find("[data-testid=bisect-this]").GetAttribute("href"));
    }

    [Fact]
    public async Task TriagingTheGroup_SendsTheUserStateAndNote_AndTellsThePage()
    {
        AddAuthorization().SetAuthorized("mia").SetRoles(PerfCiRoles.Maintainer);
        var changed = 0;
        var card = Render<AlertGroupCard>(p => p
            .Add(c => c.Group, Group(Alert(1, AlertState.New)))
            .Add(c => c.Changed, () => changed++));

        await card.Find("input[data-testid=triage-note]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "the new scheduler" });
        await card.Find("[data-testid=group-confirmed]").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());
        await card.Find("[data-testid=accept-step]").ClickAsync(new Microsoft.AspNetCore.Components.Web.MouseEventArgs());

        Assert.Equal(
            [("mia", "group", 5L, (AlertState?)AlertState.Confirmed, (string?)"the new scheduler"), ("mia", "step", 9L, null, "the new scheduler")],
            _actions.Calls);
        Assert.Equal(2, changed);
    }
}
