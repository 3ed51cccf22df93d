using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;
using PerfCI.Server.Runners;
using PerfCI.Testing;

namespace PerfCI.Server.Tests;

public sealed class RunnerRegistrationTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly HardwareFingerprint H100 = new()
    {
        Gpus = [new GpuInfo("NVIDIA H100 80GB HBM3", 81559, "550.54.15", "12.4")], CpuModel = "AMD EPYC 9654", CpuCores = 16, MemoryMiB = 131072,
        Os = "Ubuntu 24.04", RunnerVersion = "0.1.0",
    };

    private static readonly string[] BadLabels = ["ok", "not ok"];

    public ValueTask InitializeAsync()
    {
        _server = new PerfCiServerFactory(database.ConnectionString);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private async Task<string> CreateTokenAsync(TimeSpan? lifetime = null, params string[] labels)
    {
        await using var scope = _server.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<RunnerRegistration>().CreateTokenAsync(labels, lifetime ?? TimeSpan.FromHours(1), "test", Ct);
    }

    private async Task<HttpResponseMessage> RegisterAsync(string token, string name, params string[] labels)
    {
        using var client = _server.CreateClient();
        return await client.PostAsJsonAsync("/api/runners/register", new { token, name, labels, hardware = H100 }, Ct);
    }

    [Fact]
    public async Task Register_ExchangesTheTokenForACredential_StoredOnlyAsAHash()
    {
        var token = await CreateTokenAsync(null, "gpu");

        using var response = await RegisterAsync(token, "h100-a", "h100");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<RegisterRunnerResponse>(Ct);
        Assert.StartsWith(RunnerSecrets.CredentialPrefix, body!.Credential, StringComparison.Ordinal);
        Assert.Equal(["h100", "gpu"], body.Labels);
        Assert.Equal(HardwareClass.Derive(H100), body.HardwareClass);
        await using var db = _server.CreateDbContext();
        var runner = await db.Runners.AsNoTracking().SingleAsync(r => r.Name == "h100-a", Ct);
        Assert.Equal(RunnerSecrets.Hash(body.Credential), runner.TokenHash);
        Assert.DoesNotContain(body.Credential, JsonSerializer.Serialize(runner), StringComparison.Ordinal);
        Assert.NotNull((await db.RegistrationTokens.AsNoTracking().SingleAsync(t => t.UsedByRunnerId == runner.Id, Ct)).UsedAt);
    }

    [Fact]
    public async Task Register_RejectsATokenUsedTwice_Expired_OrUnknown()
    {
        var token = await CreateTokenAsync();
        var expired = await CreateTokenAsync(TimeSpan.FromMilliseconds(1));
        await Task.Delay(50, Ct);
        using var first = await RegisterAsync(token, "once");

        using var second = await RegisterAsync(token, "twice");
        using var late = await RegisterAsync(expired, "late");
        using var unknown = await RegisterAsync(RunnerSecrets.NewRegistrationToken(), "stranger");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.All([second, late, unknown], r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal("application/problem+json", second.Content.Headers.ContentType?.MediaType);
        await using var db = _server.CreateDbContext();
        Assert.False(await db.Runners.AnyAsync(r => r.Name == "twice" || r.Name == "late" || r.Name == "stranger", Ct));
    }

    [Fact]
    public async Task Register_Returns400_NamingTheField()
    {
        using var client = _server.CreateClient();

        using var response = await client.PostAsJsonAsync("/api/runners/register", new { token = "x", name = "bad name", labels = BadLabels }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("errors");
        Assert.Equal(["hardware", "labels[1]", "name"], errors.EnumerateObject().Select(p => p.Name).Order());
    }

    [Fact]
    public async Task Credential_AuthenticatesTheRunner_UntilItIsRevoked()
    {
        using var registered = await RegisterAsync(await CreateTokenAsync(), "revocable");
        var credential = (await registered.Content.ReadFromJsonAsync<RegisterRunnerResponse>(Ct))!.Credential;
        using var client = _server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", credential);

        using var me = await client.GetAsync("/api/runners/me", Ct);
        await using (var db = _server.CreateDbContext())
            await db.Runners.Where(r => r.Name == "revocable").ExecuteUpdateAsync(set => set.SetProperty(r => r.State, RunnerState.Revoked), Ct);
        using var revoked = await client.GetAsync("/api/runners/me", Ct);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", RunnerSecrets.NewCredential());
        using var wrong = await client.GetAsync("/api/runners/me", Ct);

        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal("revocable", (await me.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }
}
