using System.Net;
using System.Net.Http.Json;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Core.Analysis;
using PerfCI.Core.Domain;
using PerfCI.Core.Results;
using PerfCI.Server.Analysis;
using PerfCI.Server.Results;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.Analysis;

/// <summary>
/// Results uploaded for the commits of a real git repository's main branch, analysed by the server's
/// Hangfire jobs on real PostgreSQL: change points, grouped alerts, reversal, triage, no-data.
/// </summary>
public sealed class SeriesAnalysisTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    /// <summary>The maintainer who triages; the audit trail records this name.</summary>
    private const string Ana = "ana@perfci.test";

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
    public async Task StepInLatency_RaisesOneRegressionGroup_ForTheCommitRange_AndNothingForFlatSeries()
    {
        var (repository, shas) = await CreateRepositoryAsync("step", 36);

        // TTFT p50 and p99 both 10% slower from commit 24 on; throughput flat.
        for (var i = 0; i < shas.Count; i++)
            await UploadAsync(repository, shas[i], i, ttft: i < 24 ? 100 : 110, throughput: 50);
        await _server.WaitForBackgroundJobsAsync();

        using var client = _server.CreateClient();
        var groups = (await client.GetFromJsonAsync<AlertGroupView[]>($"/api/alert-groups?repository={repository}", Ct))!;
        var group = Assert.Single(groups);
        Assert.Equal((shas[23], shas[24]), (group.FromCommit, group.ToCommit));
        Assert.Equal((2, 0, AlertState.New), (group.Regressions, group.Improvements, group.State));
        Assert.Equal(["ttft_p50", "ttft_p99"], group.Alerts.Select(a => a.Metric).Order());
        Assert.All(group.Alerts, alert =>
        {
            Assert.Equal(AlertKind.Regression, alert.Kind);
            Assert.InRange(alert.Magnitude, 0.08, 0.12);
            Assert.InRange(0.10, alert.MagnitudeLower, alert.MagnitudeUpper);
            Assert.True(alert.PValue < 0.001, $"p = {alert.PValue}");
            Assert.InRange(alert.Noise, 0.001, 0.05);
        });
        var changePoints = (await client.GetFromJsonAsync<ChangePointView[]>($"/api/series/{group.Alerts[0].SeriesId}/change-points", Ct))!;
        var changePoint = Assert.Single(changePoints);
        Assert.Equal((shas[24], shas[23], ChangeKind.Regression), (changePoint.Commit, changePoint.PreviousCommit, changePoint.Kind));
        Assert.InRange(changePoint.LevelAfter / changePoint.LevelBefore, 1.08, 1.12);
    }

    [Fact]
    public async Task LaterImprovement_ThatRestoresTheLevel_ClosesTheRegressionAsFixed()
    {
        var (repository, shas) = await CreateRepositoryAsync("reverted", 40);

        for (var i = 0; i < shas.Count; i++)
            await UploadAsync(repository, shas[i], i, ttft: i is >= 14 and < 27 ? 115 : 100, throughput: 50);
        await _server.WaitForBackgroundJobsAsync();

        using var client = _server.CreateClient();
        var groups = (await client.GetFromJsonAsync<AlertGroupView[]>($"/api/alert-groups?repository={repository}&state=all", Ct))!;
        var regression = groups.Single(g => g.ToCommit == shas[14]).Alerts.First(a => a.Metric == "ttft_p50");
        var improvement = groups.Single(g => g.ToCommit == shas[27]).Alerts.First(a => a.Metric == "ttft_p50");
        Assert.Equal((AlertKind.Regression, AlertState.Fixed, SeriesAnalysisJob.Fixer), (regression.Kind, regression.State, regression.TriagedBy));
        Assert.Equal(improvement.ChangePointId, regression.FixedByChangePointId);
        Assert.Equal(AlertKind.Improvement, improvement.Kind);
        Assert.DoesNotContain(await client.GetFromJsonAsync<AlertGroupView[]>($"/api/alert-groups?repository={repository}", Ct) ?? [], g => g.Regressions > 0);
    }

    [Fact]
    public async Task Triage_FollowsTheStates_RecordsWhoAndWhen_AndRefusesAMoveThatMakesNoSense()
    {
        var (repository, shas) = await CreateRepositoryAsync("triage", 30);
        for (var i = 0; i < shas.Count; i++)
            await UploadAsync(repository, shas[i], i, ttft: i < 18 ? 100 : 112, throughput: 50);
        await _server.WaitForBackgroundJobsAsync();
        using var client = await _server.CreateClientAsync(PerfCiRoles.Maintainer, Ana);
        var group = Assert.Single((await client.GetFromJsonAsync<AlertGroupView[]>($"/api/alert-groups?repository={repository}", Ct))!);
        var alert = group.Alerts[0];

        using var acknowledged = await client.PostAsJsonAsync($"/api/alerts/{alert.Id}/triage", new { state = "acknowledged" }, Ct);
        using var groupConfirmed = await client.PostAsJsonAsync($"/api/alert-groups/{group.Id}/triage", new { state = "confirmed", by = Ana, note = "the new scheduler" }, Ct);
        using var backToNew = await client.PostAsJsonAsync($"/api/alerts/{alert.Id}/triage", new { state = "new" }, Ct);
        using var underAnotherName = await client.PostAsJsonAsync($"/api/alerts/{alert.Id}/triage", new { state = "fixed", by = "bob" }, Ct);
        using var unknown = await client.PostAsJsonAsync($"/api/alerts/{alert.Id}/triage", new { state = "sort-of" }, Ct);

        Assert.Equal(HttpStatusCode.OK, acknowledged.StatusCode);
        Assert.Equal(AlertState.Acknowledged, (await acknowledged.Content.ReadFromJsonAsync<AlertView>(Ct))!.State);
        var confirmed = (await groupConfirmed.Content.ReadFromJsonAsync<AlertGroupView>(Ct))!;
        Assert.Equal(AlertState.Confirmed, confirmed.State);
        Assert.All(confirmed.Alerts, a => Assert.Equal((AlertState.Confirmed, Ana, "the new scheduler"), (a.State, a.TriagedBy, a.Note)));
        Assert.All(confirmed.Alerts, a => Assert.NotNull(a.TriagedAt));
        Assert.Equal(HttpStatusCode.BadRequest, backToNew.StatusCode);
        Assert.Contains("An alert that is confirmed cannot become new", await backToNew.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, underAnotherName.StatusCode);
        Assert.Contains("\"by\"", await underAnotherName.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("wont_fix", await unknown.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcceptedStep_BecomesTheBaseline_ItsAlertsCloseAsWontFix_AndItStaysThroughReanalysis()
    {
        var (repository, shas) = await CreateRepositoryAsync("accepted", 30);
        for (var i = 0; i < shas.Count; i++)
            await UploadAsync(repository, shas[i], i, ttft: i < 12 ? 100 : 120, throughput: 50);
        await _server.WaitForBackgroundJobsAsync();
        using var client = await _server.CreateClientAsync(PerfCiRoles.Maintainer, Ana);
        var alert = Assert.Single((await client.GetFromJsonAsync<AlertGroupView[]>($"/api/alert-groups?repository={repository}", Ct))!).Alerts.First(a => a.Metric == "ttft_p50");

        using var accepted = await client.PostAsJsonAsync($"/api/change-points/{alert.ChangePointId}/accept", new { note = "bigger model, expected" }, Ct);
        await _server.WaitForBackgroundJobsAsync();

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var changePoint = Assert.Single((await client.GetFromJsonAsync<ChangePointView[]>($"/api/series/{alert.SeriesId}/change-points", Ct))!);
        Assert.Equal((true, Ana, shas[12]), (changePoint.Accepted, changePoint.AcceptedBy, changePoint.Commit));
        var after = (await client.GetFromJsonAsync<AlertGroupView[]>($"/api/alert-groups?repository={repository}&state=all", Ct))!;
        var closed = after.SelectMany(g => g.Alerts).Single(a => a.Id == alert.Id);
        Assert.Equal((AlertState.WontFix, "bigger model, expected"), (closed.State, closed.Note));
        Assert.Single(after.SelectMany(g => g.Alerts), a => a.SeriesId == alert.SeriesId);
    }

    [Fact]
    public async Task SeriesThatStopsReceivingPoints_RaisesANoDataAlert_NamingWhereItStopped()
    {
        var (repository, shas) = await CreateRepositoryAsync("nodata", 16);

        // The 'long' scenario breaks at commit 8; the suite keeps running.
        for (var i = 0; i < shas.Count; i++)
            await UploadAsync(repository, shas[i], i, ttft: 100, throughput: 50, withLongScenario: i < 8);
        await _server.WaitForBackgroundJobsAsync();

        using var client = _server.CreateClient();
        var groups = (await client.GetFromJsonAsync<AlertGroupView[]>($"/api/alert-groups?repository={repository}", Ct))!;
        var group = Assert.Single(groups);
        Assert.Equal((shas[7], shas[8]), (group.FromCommit, group.ToCommit));
        Assert.Equal(3, group.NoData); // the long scenario's three metrics
        Assert.All(group.Alerts, a => Assert.Equal(("long@c4", AlertKind.NoData), (a.Scenario, a.Kind)));
        // Raised by the first check that saw five or more misses (the uploads and the checks interleave).
        Assert.Matches("^No point on the last [5-8] benchmarked commits", group.Alerts[0].Note);
    }

    [Fact]
    public async Task PullRequestHead_ComparedWithItsMergeBase_IsARegression_WithItsInterval_AndASingleTrialIsInconclusive()
    {
        var (repository, shas, git) = await CreateGitRepositoryAsync("pr", 12);
        for (var i = 0; i < shas.Count; i++)
            await UploadAsync(repository, shas[i], i, ttft: 100, throughput: 50);
        git.Git("checkout", "--quiet", "-b", "feature");
        var slower = git.Commit("a slower scheduler");
        var once = git.Commit("benchmarked once");
        var slowerRun = await UploadAsync(repository, slower, 100, ttft: 108, throughput: 50, RunTrigger.PullRequest);
        var onceRun = await UploadAsync(repository, once, 101, ttft: 104, throughput: 50, RunTrigger.PullRequest, trials: 1);
        await _server.WaitForBackgroundJobsAsync();
        using var client = _server.CreateClient();

        var comparison = (await client.GetFromJsonAsync<RunComparisonView>($"/api/runs/{slowerRun}/comparison?base={shas[^1]}", Ct))!;
        var unsure = (await client.GetFromJsonAsync<RunComparisonView>($"/api/runs/{onceRun}/comparison?base={shas[^1]}", Ct))!;
        using var badBase = await client.GetAsync($"/api/runs/{slowerRun}/comparison?base=main", Ct);

        Assert.Equal((Verdict.Regression, 2, shas[^1]), (comparison.Verdict, comparison.Regressions, comparison.BaseCommit));
        var ttft = comparison.Metrics.Single(m => m.Metric == "ttft_p50");
        Assert.Equal(Verdict.Regression, ttft.Verdict);
        Assert.InRange(ttft.Shift, 0.06, 0.10);
        Assert.InRange(0.08, ttft.ShiftLower, ttft.ShiftUpper);
        Assert.Equal(RunComparer.BaselineCommits, ttft.BaselineCommits.Count); // the merge base and its stable neighbours
        Assert.Contains(shas[^1], ttft.BaselineCommits);
        Assert.Equal((RunComparer.BaselineCommits * 5, 5), (ttft.BaselineTrials, ttft.CandidateTrials));
        Assert.True(ttft.MinimumDetectableShift < 0.03, $"detectable {ttft.MinimumDetectableShift}");
        Assert.Equal(Verdict.NoChange, comparison.Metrics.Single(m => m.Metric == "output_throughput").Verdict);
        var onceTtft = unsure.Metrics.Single(m => m.Metric == "ttft_p50");
        Assert.Equal(Verdict.Inconclusive, onceTtft.Verdict);
        Assert.True(onceTtft.TrialsNeeded > 1, $"trials needed: {onceTtft.TrialsNeeded}");
        Assert.Contains("candidate trials would decide it", onceTtft.Reason, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badBase.StatusCode);
    }

    private async Task<(string Repository, IReadOnlyList<string> Shas)> CreateRepositoryAsync(string name, int commits)
    {
        var (repository, shas, _) = await CreateGitRepositoryAsync(name, commits);
        return (repository, shas);
    }

    private Task<(string Repository, IReadOnlyList<string> Shas, GitRepository Git)> CreateGitRepositoryAsync(string name, int commits) =>
        _server.CreateGitRepositoryAsync(_temp.Path, name, commits);

    /// <summary>What `perfci upload` does: store the document, then have the servers analyse the new run.</summary>
    private async Task<long> UploadAsync(
        string repository, string sha, int seed, double ttft, double throughput, RunTrigger trigger = RunTrigger.Push, int trials = 5, double noise = 0.01, bool withLongScenario = false)
    {
        var random = new Random(seed);
        double[] Trials(double level) => [.. Enumerable.Range(0, trials).Select(_ => level * (1 + noise * Gaussian(random)))];
        var scenarios = new List<ScenarioResult>
        {
            new()
            {
                Name = "chat", Concurrency = 1,
                Metrics = [MetricCatalog.Samples("ttft_p50", Trials(ttft)), MetricCatalog.Samples("ttft_p99", Trials(ttft * 1.3)), MetricCatalog.Samples("output_throughput", Trials(throughput))],
            },
        };
        if (withLongScenario)
        {
            scenarios.Add(new ScenarioResult
            {
                Name = "long", Concurrency = 4,
                Metrics = [MetricCatalog.Samples("ttft_p50", Trials(ttft * 3)), MetricCatalog.Samples("ttft_p99", Trials(ttft * 4)), MetricCatalog.Samples("output_throughput", Trials(throughput / 2))],
            });
        }
        var document = new ResultDocument { Source = new ResultSource("perfci-bench"), Scenarios = scenarios };
        await using var scope = _server.Services.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ResultIngestor>()
            .IngestAsync(document, new IngestTarget(repository, sha, trigger) { Suite = "serving", HardwareClass = "h100" }, Ct);
        scope.ServiceProvider.GetRequiredService<IBackgroundJobClient>().Enqueue<AnalyzeRunJob>(job => job.RunAsync(result.RunId, CancellationToken.None));
        return result.RunId;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
