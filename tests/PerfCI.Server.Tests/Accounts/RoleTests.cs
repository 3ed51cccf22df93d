using System.Net;
using System.Net.Http.Json;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data.Entities;
using PerfCI.Server.Analysis;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.Accounts;

/// <summary>The roles on real endpoints: reading for all, triage for maintainers, repositories for admins.</summary>
public sealed class RoleTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = new PerfCiServerFactory(database.ConnectionString);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task MaintainerEndpoint_Answers401_WithoutCredentials()
    {
        var alertId = await SeedAlertAsync("anonymous");
        using var anonymous = _server.CreateClient(new() { AllowAutoRedirect = false });

        using var triage = await anonymous.PostAsJsonAsync($"/api/alerts/{alertId}/triage", new { state = "acknowledged" }, Ct);
        using var run = await anonymous.PostAsJsonAsync("/api/runs", new { repository = "acme/anonymous", commit = "abcdef1" }, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, triage.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, run.StatusCode);
        Assert.Equal("application/problem+json", triage.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Viewer_Gets403_OnTriage_AndOnRepositoryCreation_ButReads()
    {
        var alertId = await SeedAlertAsync("viewed");
        using var viewer = await _server.CreateClientAsync(PerfCiRoles.Viewer);

        using var triage = await viewer.PostAsJsonAsync($"/api/alerts/{alertId}/triage", new { state = "acknowledged" }, Ct);
        using var repository = await viewer.PostAsJsonAsync("/api/repositories", new { owner = "acme", name = "by-a-viewer" }, Ct);
        var groups = await viewer.GetFromJsonAsync<AlertGroupView[]>("/api/alert-groups?repository=acme/viewed", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, triage.StatusCode);
        Assert.Equal("application/problem+json", triage.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, repository.StatusCode);
        Assert.Equal(AlertState.New, Assert.Single(Assert.Single(groups!).Alerts).State);
        await using var db = _server.CreateDbContext();
        Assert.DoesNotContain(db.Repositories, r => r.Name == "by-a-viewer");
    }

    [Fact]
    public async Task Maintainer_Triages_AndTheAuditTrailNamesThem_ButCannotCreateARepository()
    {
        var alertId = await SeedAlertAsync("triaged");
        using var maintainer = await _server.CreateClientAsync(PerfCiRoles.Maintainer, "mia@perfci.test");

        using var triage = await maintainer.PostAsJsonAsync($"/api/alerts/{alertId}/triage", new { state = "acknowledged", note = "looking" }, Ct);
        using var repository = await maintainer.PostAsJsonAsync("/api/repositories", new { owner = "acme", name = "by-a-maintainer" }, Ct);

        Assert.Equal(HttpStatusCode.OK, triage.StatusCode);
        var alert = (await triage.Content.ReadFromJsonAsync<AlertView>(Ct))!;
        Assert.Equal((AlertState.Acknowledged, "mia@perfci.test"), (alert.State, alert.TriagedBy));
        Assert.Equal(HttpStatusCode.Forbidden, repository.StatusCode);
    }

    [Fact]
    public async Task Admin_CreatesARepository()
    {
        using var admin = await _server.CreateClientAsync(PerfCiRoles.Admin);

        using var response = await admin.PostAsJsonAsync("/api/repositories", new { owner = "acme", name = "by-an-admin" }, Ct);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>A regression alert on a series of a new repository, as the analysis would raise it.</summary>
    private async Task<long> SeedAlertAsync(string name)
    {
        await using var db = _server.CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var repository = new Repository { Owner = "acme", Name = name, CloneUrl = $"https://github.com/acme/{name}.git", CreatedAt = now };
        var suite = new Suite { Repository = repository, Name = "serving", CreatedAt = now };
        var series = new Series { Repository = repository, Suite = suite, Scenario = "chat", Metric = "ttft_p50", HardwareClass = "cpu", Unit = "ms", Direction = MetricDirection.LowerIsBetter, CreatedAt = now };
        var commit = new Commit { Repository = repository, Sha = new string('a', 40), CommittedAt = now };
        var alert = new Alert { Series = series, Kind = AlertKind.Regression, State = AlertState.New, Magnitude = 0.1, MagnitudeLower = 0.08, MagnitudeUpper = 0.12, Noise = 0.01, CreatedAt = now };
        db.AlertGroups.Add(new AlertGroup { Repository = repository, ToCommit = commit, State = AlertState.New, CreatedAt = now, Alerts = [alert] });
        await db.SaveChangesAsync(Ct);
        return alert.Id;
    }
}
