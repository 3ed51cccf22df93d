using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Testing;
using PerfCI.Ui.Trends;

namespace PerfCI.Server.Tests.Dashboard;

/// <summary>
/// <c>GET /api/trends/chart</c>, the trends chart's data read by the chart script itself, on real
/// PostgreSQL over results uploaded for a real git repository and analysed by the server's jobs.
/// </summary>
public sealed class TrendsApiTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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
    public async Task Chart_OverlaysTheSelectionsLines_WithTheirChangePointAndAlert_Compressed_ForAnyoneWhilePublicRead()
    {
        var (repository, shas) = await CreateRepositoryAsync("chart", 30);
        var runs = new List<long>();
        for (var i = 0; i < shas.Count; i++)
            runs.Add(await TrendSeeds.UploadAsync(_server.Services, repository, shas[i], TrendSeeds.Document(i, ttft: i < 18 ? 100 : 112, throughput: 50), cancellationToken: Ct));
        await _server.WaitForBackgroundJobsAsync();
        using var anonymous = _server.CreateClient();
        anonymous.DefaultRequestHeaders.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));

        using var response = await anonymous.GetAsync(
            $"/api/trends/chart?repo={Uri.EscapeDataString(repository)}&suite=serving&scenario=chat%40c1&metric=ttft_p50&metric=output_throughput&metric=no_such_metric&hw=h100", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        Assert.Matches(@"(^|, )db;dur=[0-9.]+;", string.Join(", ", response.Headers.GetValues("Server-Timing")));
        await using var body = new GZipStream(await response.Content.ReadAsStreamAsync(Ct), CompressionMode.Decompress);
        var model = (await JsonSerializer.DeserializeAsync<TrendChartModel>(body, JsonSerializerOptions.Web, Ct))!;
        Assert.Equal(shas, model.Shas);
        Assert.Equal(Enumerable.Range(0, 30), model.Positions);
        Assert.Equal(runs, model.RunIds);
        Assert.Equal("change 7", model.Messages[7]);
        // The metric that does not exist is left out; the others are lines on one commit axis.
        Assert.Equal(["ttft_p50", "output_throughput"], model.Lines.Select(l => l.Label));
        Assert.Equal([true, false], model.Lines.Select(l => l.LowerIsBetter));
        Assert.All(model.Lines, line => Assert.All(Enumerable.Range(0, 30), i => Assert.InRange(line.Values[i]!.Value, line.Low[i]!.Value, line.High[i]!.Value)));
        Assert.All(model.Lines[0].Trials, trials => Assert.Equal(5, trials));
        var change = Assert.Single(model.Markers, m => m.Type == "change");
        var alert = Assert.Single(model.Markers, m => m.Type == "alert");
        Assert.Equal((18, 0, "regression"), (change.Index, change.Line, change.Kind));
        Assert.Equal((18, 0, "regression"), (alert.Index, alert.Line, alert.Kind));
    }

    [Fact]
    public async Task Chart_OfACommitMeasuredTwice_PoolsItsTrials()
    {
        var (repository, shas) = await CreateRepositoryAsync("pooled", 3);
        for (var i = 0; i < shas.Count; i++)
            await TrendSeeds.UploadAsync(_server.Services, repository, shas[i], TrendSeeds.Document(i, ttft: 100, throughput: 50), cancellationToken: Ct);
        var rerun = await TrendSeeds.UploadAsync(_server.Services, repository, shas[1], TrendSeeds.Document(100, ttft: 200, throughput: 50, trials: 3), cancellationToken: Ct);
        await _server.WaitForBackgroundJobsAsync();
        using var client = await _server.CreateClientAsync(PerfCiRoles.Viewer);

        var model = (await client.GetFromJsonAsync<TrendChartModel>(
            $"/api/trends/chart?repo={Uri.EscapeDataString(repository)}&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=h100", Ct))!;

        var line = Assert.Single(model.Lines);
        Assert.Equal(new int?[] { 5, 8, 5 }, line.Trials);
        Assert.Equal(rerun, model.RunIds[1]);
        // Five trials around 100 ms and three around 200 ms: the pooled median is a first run's trial, the highest a re-run's.
        Assert.InRange(line.Values[1]!.Value, 95, 105);
        Assert.InRange(line.High[1]!.Value, 190, 210);
        Assert.InRange(line.Low[1]!.Value, 95, 102);
    }

    [Fact]
    public async Task Chart_ThePrerenderedPageNamed_IsReadThen_AndTakenByTheScriptsRequestOnce()
    {
        var (repository, shas) = await CreateRepositoryAsync("prepared", 2);
        for (var i = 0; i < shas.Count; i++)
            await TrendSeeds.UploadAsync(_server.Services, repository, shas[i], TrendSeeds.Document(i, ttft: 100, throughput: 50), cancellationToken: Ct);
        await _server.WaitForBackgroundJobsAsync();
        var selection = TrendSelection.FromUri($"/trends?repo={Uri.EscapeDataString(repository)}&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=h100");
        using var client = _server.CreateClient();

        using (var scope = _server.Services.CreateScope())
            scope.ServiceProvider.GetRequiredService<ITrendQueries>().PrepareChart(selection);
        using var first = await client.GetAsync("/" + selection.ToChartDataUri(), Ct);
        using var second = await client.GetAsync("/" + selection.ToChartDataUri(), Ct);

        Assert.Contains("prepared;", string.Join(", ", first.Headers.GetValues("Server-Timing")), StringComparison.Ordinal);
        Assert.DoesNotContain("prepared", string.Join(", ", second.Headers.GetValues("Server-Timing")), StringComparison.Ordinal);
        var prepared = (await first.Content.ReadFromJsonAsync<TrendChartModel>(Ct))!;
        var read = (await second.Content.ReadFromJsonAsync<TrendChartModel>(Ct))!;
        Assert.Equal(shas, prepared.Shas);
        Assert.Equal(read.Shas, prepared.Shas);
        Assert.Equal(read.Lines.Single().Values, prepared.Lines.Single().Values);
    }

    [Fact]
    public async Task Chart_NamesTheBadParameter_AndAnswers404ForASeriesThatDoesNotExist()
    {
        var (repository, shas) = await CreateRepositoryAsync("engine", 1);
        await TrendSeeds.UploadAsync(_server.Services, repository, shas[0], TrendSeeds.Document(1, ttft: 100, throughput: 50), cancellationToken: Ct);
        await _server.WaitForBackgroundJobsAsync();
        using var client = _server.CreateClient();
        var nineMetrics = string.Concat(Enumerable.Range(0, 9).Select(i => $"&metric=m{i}"));

        Assert.Equal(["hw", "metric", "repo", "scenario", "suite"], await ErrorsAsync(client, "/api/trends/chart"));
        Assert.Equal(["repo"], await ErrorsAsync(client, "/api/trends/chart?repo=engine&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=h100"));
        Assert.Equal(["hw"], await ErrorsAsync(client, "/api/trends/chart?repo=local%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=%20"));
        Assert.Equal(["metric"], await ErrorsAsync(client, $"/api/trends/chart?repo=local%2Fengine&suite=serving&scenario=chat%40c1{nineMetrics}&hw=h100"));

        using var missing = await client.GetAsync("/api/trends/chart?repo=local%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=a100", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        var problem = (await missing.Content.ReadFromJsonAsync<ProblemDetails>(Ct))!;
        Assert.Equal("local/engine has no series serving/chat@c1/ttft_p50 on a100.", problem.Detail);

        using var found = await client.GetAsync("/api/trends/chart?repo=local%2Fengine&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=h100", Ct);
        Assert.Equal(HttpStatusCode.OK, found.StatusCode);
    }

    [Fact]
    public async Task Chart_NeedsAnAccount_WhenPublicReadIsOff()
    {
        var (_, shas) = await CreateRepositoryAsync("private", 1);
        await TrendSeeds.UploadAsync(_server.Services, "local/private", shas[0], TrendSeeds.Document(1, ttft: 100, throughput: 50), cancellationToken: Ct);
        await _server.WaitForBackgroundJobsAsync();
        await using var closed = _server.WithWebHostBuilder(b => b.UseSetting("Access:PublicRead", "false"));
        const string path = "/api/trends/chart?repo=local%2Fprivate&suite=serving&scenario=chat%40c1&metric=ttft_p50&hw=h100";
        using var anonymous = closed.CreateClient(new() { AllowAutoRedirect = false });
        using var viewer = closed.CreateClient();
        viewer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await _server.CreateApiTokenAsync(PerfCiRoles.Viewer));

        using var refused = await anonymous.GetAsync(path, Ct);
        using var allowed = await viewer.GetAsync(path, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        var model = (await allowed.Content.ReadFromJsonAsync<TrendChartModel>(Ct))!;
        Assert.Equal(shas, model.Shas);
    }

    /// <summary>The parameters a 400 names, in order.</summary>
    private static async Task<string[]> ErrorsAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<HttpValidationProblemDetails>(Ct))!;
        return [.. problem.Errors.Keys.Order(StringComparer.Ordinal)];
    }

    private async Task<(string Repository, IReadOnlyList<string> Shas)> CreateRepositoryAsync(string name, int commits)
    {
        var (repository, shas, _) = await _server.CreateGitRepositoryAsync(_temp.Path, name, commits);
        return (repository, shas);
    }
}
