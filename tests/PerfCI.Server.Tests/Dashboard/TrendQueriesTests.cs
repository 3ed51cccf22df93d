using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;
using PerfCI.Server.Analysis;
using PerfCI.Testing;
using PerfCI.Ui.Compare;
using PerfCI.Ui.Trends;

namespace PerfCI.Server.Tests.Dashboard;

/// <summary>
/// The trends and compare pages' queries on real PostgreSQL, over results uploaded for a real git
/// repository's main branch and analysed by the server's own jobs.
/// </summary>
public sealed class TrendQueriesTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
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
    public async Task Series_IsInFirstParentOrder_PoolsReRuns_AndCarriesItsChangePointAndAlert()
    {
        var (repository, shas) = await CreateRepositoryAsync("trend", 30);
        for (var i = 0; i < shas.Count; i++)
            await TrendSeeds.UploadAsync(_server.Services, repository, shas[i], TrendSeeds.Document(i, ttft: i < 18 ? 100 : 112, throughput: 50), cancellationToken: Ct);
        // A re-run of commit 5: its trials pool with the first run's into one point.
        var rerun = await TrendSeeds.UploadAsync(_server.Services, repository, shas[5], TrendSeeds.Document(500, ttft: 100, throughput: 50), cancellationToken: Ct);
        // A pull request's head is not on the branch: not a point.
        await TrendSeeds.UploadAsync(_server.Services, repository, new string('f', 40), TrendSeeds.Document(900, ttft: 150, throughput: 50), RunTrigger.PullRequest, cancellationToken: Ct);
        await _server.WaitForBackgroundJobsAsync();

        var queries = Queries<ITrendQueries>();
        var keys = await queries.GetSeriesKeysAsync(Ct);
        var key = Assert.Single(keys, k => k.Repository == repository && k.Metric == "ttft_p50");
        Assert.Equal(("serving", "chat@c1", "h100", "ms", MetricDirection.LowerIsBetter), (key.Suite, key.Scenario, key.HardwareClass, key.Unit, key.Direction));
        var series = (await queries.GetSeriesAsync(key.Id, Ct))!;

        Assert.Equal(shas, series.Points.Select(p => p.Sha));
        Assert.Equal(Enumerable.Range(0, 30), series.Points.Select(p => p.Position));
        Assert.All(series.Points, p => Assert.InRange(p.Median, p.Low, p.High));
        Assert.Equal((10, rerun), (series.Points[5].Trials, series.Points[5].RunId));
        Assert.Equal(5, series.Points[6].Trials);
        Assert.Equal(("change 7", "Test"), (series.Points[7].Message, series.Points[7].Author));
        var change = Assert.Single(series.ChangePoints);
        Assert.Equal((shas[18], ChangeKind.Regression), (change.Sha, change.Kind));
        Assert.InRange(change.Magnitude, 0.08, 0.16);
        var alert = Assert.Single(series.Alerts);
        Assert.Equal((shas[18], AlertKind.Regression, AlertState.New), (alert.Sha, alert.Kind, alert.State));
        Assert.Null(await queries.GetSeriesAsync(long.MaxValue, Ct));
    }

    [Fact]
    public async Task SeriesKeys_AreKeptAWhile_ButASeriesTheIngestCreates_ShowsAtOnce()
    {
        var (repository, shas) = await CreateRepositoryAsync("keys", 2);
        await TrendSeeds.UploadAsync(_server.Services, repository, shas[0], TrendSeeds.Document(0, ttft: 100, throughput: 50), cancellationToken: Ct);
        var queries = Queries<ITrendQueries>();
        var before = await queries.GetSeriesKeysAsync(Ct);
        // A series written behind the server's back (as another server would) waits for the keys to expire.
        await using (var db = _server.CreateDbContext())
        {
            var chat = await db.Series.AsNoTracking().FirstAsync(s => s.Repository.Name == "keys", Ct);
            db.Series.Add(new PerfCI.Data.Entities.Series
            {
                RepositoryId = chat.RepositoryId, SuiteId = chat.SuiteId, Scenario = "chat@c1", Metric = "written_aside", HardwareClass = "h100",
                Unit = "ms", Direction = MetricDirection.LowerIsBetter, CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync(Ct);
        }
        var cached = await Queries<ITrendQueries>().GetSeriesKeysAsync(Ct);

        await TrendSeeds.UploadAsync(_server.Services, repository, shas[1], TrendSeeds.Document(1, ttft: 100, throughput: 50, 5, 0.01, 8), cancellationToken: Ct);
        var after = await Queries<ITrendQueries>().GetSeriesKeysAsync(Ct);

        Assert.Equal(3, before.Count(k => k.Repository == repository));
        Assert.Same(before, cached);
        Assert.Contains(after, k => k.Repository == repository && k.Scenario == "chat@c8");
        Assert.Contains(after, k => k.Repository == repository && k.Metric == "written_aside");
        await _server.WaitForBackgroundJobsAsync();
    }

    [Fact]
    public async Task Sweep_GivesLatencyAgainstThroughput_PerConcurrency_ForEachCommit()
    {
        var (repository, shas) = await CreateRepositoryAsync("sweep", 2);
        await TrendSeeds.UploadAsync(_server.Services, repository, shas[0], TrendSeeds.Document(1, ttft: 100, throughput: 50, 5, 0.01, 1, 4, 16), cancellationToken: Ct);
        await TrendSeeds.UploadAsync(_server.Services, repository, shas[1], TrendSeeds.Document(2, ttft: 120, throughput: 40, 5, 0.01, 1, 4, 16), cancellationToken: Ct);
        await _server.WaitForBackgroundJobsAsync();

        var curves = await Queries<ITrendQueries>().GetSweepAsync(
            new SweepRequest(repository, "serving", "chat", "h100", "ttft_p50", "output_throughput", [shas[0][..10], shas[1]]), Ct);

        Assert.Equal([shas[0], shas[1]], curves.Select(c => c.Commit));
        Assert.All(curves, c =>
        {
            Assert.Equal([1, 4, 16], c.Points.Select(p => p.Concurrency));
            Assert.Equal(("ms", "tok/s"), (c.LatencyUnit, c.ThroughputUnit));
        });
        // chat@c4 of the first commit: 50 * 4 / 1.15 tok/s at 100 * 1.3 ms.
        Assert.InRange(curves[0].Points[1].Throughput, 170, 178);
        Assert.InRange(curves[0].Points[1].Latency, 127, 133);
        Assert.True(curves[1].Points[2].Latency > curves[0].Points[2].Latency);
        Assert.Empty(await Queries<ITrendQueries>().GetSweepAsync(new SweepRequest(repository, "serving", "chat", "a100", "ttft_p50", "output_throughput", [shas[0]]), Ct));
    }

    [Fact]
    public async Task CompareCommits_UsesTheRunComparison_AndNamesWhatIsMissing()
    {
        var (repository, shas) = await CreateRepositoryAsync("compare", 12);
        for (var i = 0; i < shas.Count; i++)
            await TrendSeeds.UploadAsync(_server.Services, repository, shas[i], TrendSeeds.Document(i, ttft: i < 11 ? 100 : 110, throughput: 50), cancellationToken: Ct);
        await _server.WaitForBackgroundJobsAsync();
        var queries = Queries<ICompareQueries>();

        var outcome = await queries.CompareCommitsAsync(repository, shas[9][..8], shas[11], "h100", Ct);
        var unknown = await queries.CompareCommitsAsync(repository, "0123456", shas[11], null, Ct);
        var elsewhere = await queries.CompareCommitsAsync(repository, shas[9], shas[11], "a100", Ct);

        var result = Assert.IsType<CompareResult>(outcome.Result);
        Assert.Equal((shas[11], shas[9], Verdict.Regression), (result.HeadCommit, result.BaseCommit, result.Verdict));
        Assert.Equal(Verdict.Regression, result.Metrics.Single(m => m.Metric == "ttft_p50").Verdict);
        Assert.Equal(Verdict.NoChange, result.Metrics.Single(m => m.Metric == "output_throughput").Verdict);
        // The very comparison the API serves for that run.
        using var client = _server.CreateClient();
        var api = (await client.GetFromJsonAsync<RunComparisonView>($"/api/runs/{result.RunId}/comparison?base={shas[9]}", Ct))!;
        Assert.Equal(api.Metrics.Select(m => (m.Metric, m.Verdict, m.Shift, m.ShiftLower, m.ShiftUpper)), result.Metrics.Select(m => (m.Metric, m.Verdict, m.Shift, m.ShiftLower, m.ShiftUpper)));
        Assert.Equal("local/compare has no commit 0123456.", unknown.Problem);
        Assert.Contains("has no results on a100", elsewhere.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ComparePullRequest_ComparesItsLatestRun_WithItsMergeBase()
    {
        var (repository, shas) = await CreateRepositoryAsync("pulls", 10);
        for (var i = 0; i < shas.Count; i++)
            await TrendSeeds.UploadAsync(_server.Services, repository, shas[i], TrendSeeds.Document(i, ttft: 100, throughput: 50), cancellationToken: Ct);
        var head = new string('e', 40);
        var runId = await TrendSeeds.UploadAsync(_server.Services, repository, head, TrendSeeds.Document(77, ttft: 100, throughput: 60), RunTrigger.PullRequest, cancellationToken: Ct);
        await _server.WaitForBackgroundJobsAsync();
        await using (var db = _server.CreateDbContext())
        {
            var repositoryId = await db.Repositories.Where(r => r.Name == "pulls").Select(r => r.Id).SingleAsync(Ct);
            var pullRequest = new PerfCI.Data.Entities.PullRequest
            {
                RepositoryId = repositoryId, Number = 7, Title = "faster decode", HeadSha = head, BaseRef = "main", BaseSha = shas[^1], MergeBaseSha = shas[^1], UpdatedAt = DateTimeOffset.UtcNow,
            };
            db.PullRequests.Add(pullRequest);
            await db.SaveChangesAsync(Ct);
            await db.Runs.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.PullRequestId, pullRequest.Id), Ct);
        }
        var queries = Queries<ICompareQueries>();

        var outcome = await queries.ComparePullRequestAsync(repository, 7, Ct);
        var byRun = await queries.CompareRunAsync(runId, shas[^1], Ct);
        var missing = await queries.ComparePullRequestAsync(repository, 8, Ct);

        var result = Assert.IsType<CompareResult>(outcome.Result);
        Assert.Equal((runId, head, shas[^1], $"{repository}#7"), (result.RunId, result.HeadCommit, result.BaseCommit, result.PullRequest));
        Assert.Equal(Verdict.Improvement, result.Metrics.Single(m => m.Metric == "output_throughput").Verdict);
        Assert.Equal(result.Metrics.Select(m => (m.Metric, m.Verdict)), byRun.Result!.Metrics.Select(m => (m.Metric, m.Verdict)));
        Assert.Equal("PerfCI knows no pull request local/pulls#8.", missing.Problem);
    }

    private T Queries<T>() where T : notnull => _server.Services.CreateScope().ServiceProvider.GetRequiredService<T>();

    private async Task<(string Repository, IReadOnlyList<string> Shas)> CreateRepositoryAsync(string name, int commits)
    {
        var (repository, shas, _) = await _server.CreateGitRepositoryAsync(_temp.Path, name, commits);
        return (repository, shas);
    }
}
