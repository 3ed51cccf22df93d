using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using PerfCI.Core.Access;
using PerfCI.Ui.Tests.Browser;
using static Microsoft.Playwright.Assertions;

namespace PerfCI.Ui.Tests;

/// <summary>A maintainer triages the seeded regression on /alerts in Chromium; the API sees the same decision.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AlertTriageBrowserTests(DashboardServer server, Chromium chromium)
{
    private static readonly LocatorAssertionsToContainTextOptions Slow = new() { Timeout = 60_000 };

    [Fact]
    public async Task Maintainer_AcknowledgesTheSeededGroupWithANote_UiAndApiAgree()
    {
        var ct = TestContext.Current.CancellationToken;
        var groupId = server.Seed.AlertGroupId;
        var (email, password) = await server.CreateUserAsync(PerfCiRoles.Maintainer, ct);
        await using var browser = await chromium.NewSessionAsync(server, nameof(Maintainer_AcknowledgesTheSeededGroupWithANote_UiAndApiAgree));
        await browser.LogInAsync(email, password, "/alerts");

        // Every state: another test may already have moved the group on.
        await browser.GotoAsync($"/alerts?repository={Uri.EscapeDataString(DashboardSeed.Repository)}&state=all", "alerts");
        var card = browser.Page.GetByTestId("alert-group").Filter(new() { HasText = $"Group #{groupId}," });
        await Expect(card).ToHaveCountAsync(1, new() { Timeout = 60_000 });
        await Expect(card.GetByTestId("group-state")).ToHaveTextAsync("new");
        var row = card.GetByTestId("alert-row").Filter(new() { HasText = DashboardSeed.RegressedMetric });
        await Expect(row.GetByTestId("alert-state")).ToHaveTextAsync("new");

        var note = "Tokenizer validation, looking into it " + Guid.NewGuid().ToString("N")[..6];
        var noteField = card.GetByTestId("triage-note");
        await noteField.FillAsync(note);
        // MudTextField takes its value on change: leave the field before clicking.
        await noteField.PressAsync("Tab");
        await card.GetByTestId("group-acknowledged").ClickAsync();

        await Expect(card.GetByTestId("group-state")).ToHaveTextAsync("acknowledged", new() { Timeout = 60_000 });
        await Expect(row.GetByTestId("alert-state")).ToHaveTextAsync("acknowledged");
        await Expect(row).ToContainTextAsync(note, Slow);
        await Expect(row).ToContainTextAsync($"({email})", Slow);
        // An acknowledged alert can no longer be acknowledged, only moved on.
        await Expect(row.GetByTestId("alert-acknowledged")).ToBeDisabledAsync();
        await browser.ScreenshotAsync("acknowledged");

        var group = await server.Http.GetFromJsonAsync<JsonElement>($"/api/alert-groups/{groupId}", ct);
        Assert.Equal("acknowledged", group.GetProperty("state").GetString());
        var alert = group.GetProperty("alerts").EnumerateArray().Single(a =>
            a.GetProperty("metric").GetString() == DashboardSeed.RegressedMetric && a.GetProperty("scenario").GetString() == DashboardSeed.Scenario);
        Assert.Equal("acknowledged", alert.GetProperty("state").GetString());
        Assert.Equal(email, Property(alert, "triagedBy").GetString());
        Assert.Equal(note, alert.GetProperty("note").GetString());
        Assert.Empty(browser.ConsoleErrors);
    }

    /// <summary>The API's property, whichever naming the server's JSON options give it.</summary>
    private static JsonElement Property(JsonElement json, string camelCase) =>
        json.TryGetProperty(camelCase, out var value) ? value : json.GetProperty(JsonNamingPolicy.SnakeCaseLower.ConvertName(camelCase));
}
