using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data.Entities;
using PerfCI.Server.Runners;
using PerfCI.Testing;

namespace PerfCI.Server.Tests;

public sealed class HostTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
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
    public async Task HealthEndpoints_AnswerOk_WithTheDatabaseUp()
    {
        using var client = _server.CreateClient();

        using var live = await client.GetAsync("/health/live", Ct);
        using var ready = await client.GetAsync("/health/ready", Ct);

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Dashboard_ServesTheShell_WithItsSummaryCards()
    {
        using var client = _server.CreateClient();

        var html = await client.GetStringAsync("/", Ct);

        Assert.Contains("<title>PerfCI</title>", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"fleet\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"queue\"", html, StringComparison.Ordinal);
        Assert.Contains("_framework/blazor.web.js", html, StringComparison.Ordinal);
        using var css = await client.GetAsync("/_content/MudBlazor/MudBlazor.min.css", Ct);
        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
    }

    [Fact]
    public async Task Dashboard_ListsARepository_OnceOneIsRegistered()
    {
        await _server.CreateRepositoryAsync("acme", "fastllm");
        using var client = _server.CreateClient();

        var html = await client.GetStringAsync("/", Ct);

        Assert.Contains("acme/fastllm", html, StringComparison.Ordinal);
        Assert.DoesNotContain("data-testid=\"empty-state\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HangfireJob_EnqueuedThroughTheServer_RunsAndChangesTheDatabase()
    {
        await using (var db = _server.CreateDbContext())
        {
            db.Runners.AddRange(
                NewRunner("silent", lastSeen: DateTimeOffset.UtcNow.AddMinutes(-10)),
                NewRunner("polling", lastSeen: DateTimeOffset.UtcNow));
            await db.SaveChangesAsync(Ct);
        }
        var jobs = _server.Services.GetRequiredService<IBackgroundJobClient>();

        var jobId = jobs.Enqueue<RunnerPresenceJob>(job => job.RunAsync(CancellationToken.None));

        var states = await WaitForAsync(async () =>
        {
            await using var db = _server.CreateDbContext();
            var runners = await db.Runners.AsNoTracking().ToDictionaryAsync(r => r.Name, r => r.State, Ct);
            return runners["silent"] == RunnerState.Offline ? runners : null;
        });
        Assert.False(string.IsNullOrEmpty(jobId));
        Assert.Equal(RunnerState.Offline, states["silent"]);
        Assert.Equal(RunnerState.Idle, states["polling"]);
        using var api = _server.CreateClient();
        var listed = await api.GetFromJsonAsync<JsonElement>("/api/runners", Ct);
        Assert.Contains(listed.EnumerateArray(), r => r.GetProperty("name").GetString() == "silent");
    }

    [Fact]
    public async Task CreateRepository_Returns400ProblemDetails_NamingTheField()
    {
        using var client = await _server.CreateClientAsync(PerfCiRoles.Admin);

        using var response = await client.PostAsJsonAsync("/api/repositories", new { owner = "acme", name = "no spaces allowed" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _));
        Assert.False(problem.GetProperty("errors").TryGetProperty("owner", out _));
    }

    [Fact]
    public async Task CreateRepository_Returns400_ForMalformedJson_AndStoresNothing()
    {
        using var client = await _server.CreateClientAsync(PerfCiRoles.Admin);
        using var body = new StringContent("{\"owner\": \"acme\", \"name\": ", System.Text.Encoding.UTF8, "application/json");

        using var response = await client.PostAsync("/api/repositories", body, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        await using var db = _server.CreateDbContext();
        Assert.False(await db.Repositories.AnyAsync(r => r.Owner == "acme" && r.Name == "", Ct));
    }

    [Fact]
    public async Task CreateRepository_Returns409_WhenItIsAlreadyRegistered_AndKeepsTheFirst()
    {
        var first = await _server.CreateRepositoryAsync("acme", "twice");
        using var client = await _server.CreateClientAsync(PerfCiRoles.Admin);

        using var response = await client.PostAsJsonAsync("/api/repositories", new { owner = "acme", name = "twice", cloneUrl = "https://example.invalid/x.git" }, Ct);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);
        Assert.Contains("acme/twice", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var stored = await client.GetFromJsonAsync<JsonElement>("/api/repositories/acme/twice", Ct);
        Assert.Equal(first.CloneUrl, stored.GetProperty("cloneUrl").GetString());
    }

    [Fact]
    public async Task OpenApi_DescribesTheApi_AndTheBrowsableUiIsServed()
    {
        using var client = _server.CreateClient();

        var document = await client.GetFromJsonAsync<JsonElement>("/openapi/v1.json", Ct);
        using var ui = await client.GetAsync("/api/docs/", Ct);

        Assert.True(document.GetProperty("paths").TryGetProperty("/api/repositories", out _));
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/runners", out _));
        Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
        Assert.Contains("PerfCI API", await ui.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AreScrapableByPrometheus()
    {
        using var client = _server.CreateClient();
        await client.GetAsync("/health/live", Ct);

        var metrics = await client.GetStringAsync("/metrics", Ct);

        Assert.Contains("service_name=\"perfci-server\"", metrics, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds", metrics, StringComparison.Ordinal);
    }

    private static Runner NewRunner(string name, DateTimeOffset lastSeen) => new()
    {
        Name = name, HardwareClass = "cpu", TokenHash = System.Text.Encoding.UTF8.GetBytes(name), State = RunnerState.Idle,
        RegisteredAt = lastSeen, LastSeenAt = lastSeen,
    };

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } value)
                return value;
            await Task.Delay(100, Ct);
        }
        throw new TimeoutException("The condition did not hold within 30 s.");
    }
}
