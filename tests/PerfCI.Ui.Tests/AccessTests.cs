using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PerfCI.Ui.Tests.Browser;

namespace PerfCI.Ui.Tests;

/// <summary>Every action is checked on the server: what a viewer's page would not offer, the API refuses.</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessTests(DashboardServer server)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Viewer_ForcingAdminAndMaintainerActions_Gets403_AndNothingChanges()
    {
        var (email, _) = await server.CreateUserAsync("viewer", Ct);
        using var viewer = server.CreateClient(await server.CreateApiTokenAsync(email));

        using var repository = await viewer.PostAsJsonAsync("/api/repositories", new { owner = "viewer", name = "sneaky", cloneUrl = "https://example.invalid/x.git" }, Ct);
        using var user = await viewer.PostAsJsonAsync("/api/users", new { email = "another@perfci.test", password = "long-enough-password", role = "admin" }, Ct);
        using var run = await viewer.PostAsJsonAsync("/api/runs", new { repository = DashboardSeed.Repository, commit = server.Seed.Commits[^1] }, Ct);
        // Another test of the collection may triage the seeded group; what matters is that this refusal changes nothing.
        var before = await viewer.GetFromJsonAsync<JsonElement>($"/api/alert-groups/{server.Seed.AlertGroupId}", Ct);
        var wanted = before.GetProperty("state").GetString() == "confirmed" ? "invalid" : "confirmed";
        using var triage = await viewer.PostAsJsonAsync($"/api/alert-groups/{server.Seed.AlertGroupId}/triage", new { state = wanted }, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, repository.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, user.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, run.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, triage.StatusCode);
        var repositories = await viewer.GetFromJsonAsync<JsonElement>("/api/repositories", Ct); // reading is allowed
        Assert.DoesNotContain(repositories.EnumerateArray(), r => r.GetProperty("owner").GetString() == "viewer");
        var group = await viewer.GetFromJsonAsync<JsonElement>($"/api/alert-groups/{server.Seed.AlertGroupId}", Ct);
        Assert.Equal(before.GetProperty("state").GetString(), group.GetProperty("state").GetString());
    }
}
