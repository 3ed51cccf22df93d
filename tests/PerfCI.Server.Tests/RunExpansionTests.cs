using System.Net;
using System.Net.Http.Json;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Server.Runs;
using PerfCI.Testing;

namespace PerfCI.Server.Tests;

/// <summary>A run of a commit of a real local git repository, expanded from its perfci.yml by Hangfire.</summary>
public sealed class RunExpansionTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string GoodSuites = """
        suites:
          - name: serving-1gpu
            runs-on: [gpu, h100]
            engine:
              command: python -m engine --port {port}
              ready: http://127.0.0.1:{port}/health
            scenarios:
              - name: chat-1k-128
                workload: { input-tokens: 1024, output-tokens: 128 }
                concurrency: [1, 4]
          - name: smoke
            engine:
              command: python -m engine --port {port}
              ready: http://127.0.0.1:{port}/health
            scenarios:
              - name: tiny
                workload: { input-tokens: 8, output-tokens: 8 }
                concurrency: 1
        """;

    public ValueTask InitializeAsync()
    {
        _server = new PerfCiServerFactory(database.ConnectionString, new Dictionary<string, string> { ["Git:CacheDirectory"] = Path.Combine(_temp.Path, "mirrors") });
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Run_IsExpandedIntoOneJobPerSuite_AndSaysWhyAJobWaits()
    {
        var (repository, sha) = await CreateGitRepositoryAsync("engine-good", GoodSuites);
        using var client = await _server.CreateClientAsync(PerfCiRoles.Admin);

        using var created = await client.PostAsJsonAsync("/api/runs", new { repository, commit = sha }, Ct);
        var run = await WaitForRunAsync(client, (await created.Content.ReadFromJsonAsync<RunView>(Ct))!.Id, r => r.State != RunState.Pending);

        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        Assert.Equal(RunState.Queued, run.State);
        Assert.Equal(["serving-1gpu", "smoke"], run.Jobs.Select(j => j.Suite));
        Assert.Equal(["gpu", "h100"], run.Jobs[0].RequiredLabels);
        Assert.Equal("no registered runner has the labels [gpu, h100]", run.Jobs[0].Waiting);
    }

    [Fact]
    public async Task Run_WithABadPerfciYml_FailsWithTheLineAndField()
    {
        var (repository, sha) = await CreateGitRepositoryAsync("engine-bad", GoodSuites.Replace("concurrency: [1, 4]", "concurrency: many", StringComparison.Ordinal));
        using var client = await _server.CreateClientAsync(PerfCiRoles.Admin);

        using var created = await client.PostAsJsonAsync("/api/runs", new { repository, commit = sha }, Ct);
        var run = await WaitForRunAsync(client, (await created.Content.ReadFromJsonAsync<RunView>(Ct))!.Id, r => r.State != RunState.Pending);

        Assert.Equal(RunState.Failed, run.State);
        Assert.StartsWith("perfci.yml:10:", run.Error, StringComparison.Ordinal);
        Assert.Contains("suites[0].scenarios[0].concurrency", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Jobs);
    }

    [Fact]
    public async Task CreateRun_Returns400_NamingTheField_And404_ForAnUnknownRepository()
    {
        using var client = await _server.CreateClientAsync(PerfCiRoles.Maintainer);

        using var bad = await client.PostAsJsonAsync("/api/runs", new { repository = "nope", commit = "xyz" }, Ct);
        using var unknown = await client.PostAsJsonAsync("/api/runs", new { repository = "acme/unknown", commit = "abcdef1" }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    private async Task<(string Repository, string Sha)> CreateGitRepositoryAsync(string name, string perfciYml)
    {
        var git = GitRepository.Init(Path.Combine(_temp.Path, name));
        var sha = git.Commit("Add perfci.yml", ("perfci.yml", perfciYml));
        using var client = await _server.CreateClientAsync(PerfCiRoles.Admin);
        using var response = await client.PostAsJsonAsync("/api/repositories", new { owner = "local", name, cloneUrl = git.Path }, Ct);
        response.EnsureSuccessStatusCode();
        return ($"local/{name}", sha);
    }

    private static async Task<RunView> WaitForRunAsync(HttpClient client, long id, Func<RunView, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var run = (await client.GetFromJsonAsync<RunView>($"/api/runs/{id}", Ct))!;
            if (done(run) || DateTime.UtcNow > deadline)
                return run;
            await Task.Delay(100, Ct);
        }
    }
}
