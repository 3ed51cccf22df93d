using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Hardware;
using PerfCI.Core.Results;
using PerfCI.Server.Results;
using PerfCI.Testing;

namespace PerfCI.Server.Tests;

public sealed class ResultIngestorTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ResultDocument Document(double ttft = 40) => new()
    {
        Source = new ResultSource("perfci-bench", "0.1.0"),
        Hardware = new HardwareFingerprint { Gpus = [new GpuInfo("NVIDIA H100 80GB HBM3", 81559, "550.54.15", "12.4")], CpuModel = "EPYC" },
        Scenarios =
        [
            new ScenarioResult
            {
                Name = "chat-1k-128", Concurrency = 16,
                Metrics = [MetricCatalog.Samples("ttft_p99", ttft, ttft + 1, ttft - 1), MetricCatalog.Samples("output_throughput", 1800, 1810, 1790)],
            },
            new ScenarioResult { Name = "chat-1k-128", Concurrency = 1, Metrics = [MetricCatalog.Samples("ttft_p99", 12.5)] },
        ],
    };

    private async Task<IngestResult> IngestAsync(ResultDocument document, string repository, string sha = "0123456789abcdef0123456789abcdef01234567")
    {
        await using var db = database.CreateContext();
        return await new ResultIngestor(db, TimeProvider.System, new PerfCI.Server.Dashboard.SeriesKeyCache(TimeProvider.System)).IngestAsync(document, new IngestTarget(repository, sha) { Suite = "serving" }, Ct);
    }

    [Fact]
    public async Task Ingest_StoresEveryTrialSample_InItsSeries()
    {
        var result = await IngestAsync(Document(), "acme/ingest");

        Assert.False(result.AlreadyIngested);
        Assert.Equal((3, 3), (result.Series, result.Measurements));
        await using var db = database.CreateContext();
        var measurement = await db.Measurements.AsNoTracking().Include(m => m.Series)
            .SingleAsync(m => m.RunId == result.RunId && m.Series.Metric == "ttft_p99" && m.Series.Scenario == "chat-1k-128@c16", Ct);
        Assert.Equal([40, 41, 39], measurement.Samples);
        Assert.Equal((40, 40, 1), (measurement.Mean, measurement.Median, measurement.StdDev));
        Assert.Equal("1x-nvidia-h100-80gb-hbm3-80gb-drv550.54.15-cuda12.4-epyc", measurement.Series.HardwareClass);
        Assert.Equal(1, await db.JobResults.CountAsync(r => r.RunId == result.RunId, Ct));
    }

    [Fact]
    public async Task Ingest_IsIdempotent_ForTheSameDocumentAndTarget()
    {
        var first = await IngestAsync(Document(), "acme/twice");

        var second = await IngestAsync(Document(), "acme/twice");

        Assert.True(second.AlreadyIngested);
        Assert.Equal(first.RunId, second.RunId);
        await using var db = database.CreateContext();
        Assert.Equal(3, await db.Measurements.CountAsync(m => m.Series.Repository.Name == "twice", Ct));
    }

    [Fact]
    public async Task Ingest_ExtendsTheSameSeries_ForAnotherCommit()
    {
        await IngestAsync(Document(40), "acme/extend", "1111111");

        await IngestAsync(Document(44), "acme/extend", "2222222");

        await using var db = database.CreateContext();
        var points = await db.Measurements.Where(m => m.Series.Repository.Name == "extend" && m.Series.Metric == "ttft_p99" && m.Series.Scenario == "chat-1k-128@c16")
            .Select(m => m.Commit.Sha).ToListAsync(Ct);
        Assert.Equal(["1111111", "2222222"], points.Order());
    }

    [Fact]
    public async Task Ingest_RefusesAUnitThatChanged_AndStoresNothing()
    {
        await IngestAsync(Document(), "acme/units");
        var changed = Document() with
        {
            Scenarios = [new ScenarioResult { Name = "chat-1k-128", Concurrency = 16, Metrics = [new MetricSamples("custom_latency", "s", PerfCI.Core.Domain.MetricDirection.LowerIsBetter, [1])] }],
        };
        await IngestAsync(changed, "acme/units", "aaaaaaa");
        var conflicting = changed with
        {
            Scenarios = [changed.Scenarios[0] with { Metrics = [new MetricSamples("custom_latency", "ms", PerfCI.Core.Domain.MetricDirection.LowerIsBetter, [1000])] }],
        };

        var error = await Assert.ThrowsAsync<IngestException>(() => IngestAsync(conflicting, "acme/units", "bbbbbbb"));

        Assert.StartsWith("scenarios[0].metrics[0]: series 'chat-1k-128@c16/custom_latency' is in s", error.Message, StringComparison.Ordinal);
        await using var db = database.CreateContext();
        Assert.False(await db.Commits.AnyAsync(c => c.Sha == "bbbbbbb", Ct));
    }

    [Theory]
    [InlineData("acme", "0123456", "repository: expected owner/name, was 'acme'")]
    [InlineData("acme/x", "not-a-sha", "commit: expected a git sha")]
    public async Task Ingest_NamesTheBadField(string repository, string sha, string expected)
    {
        var error = await Assert.ThrowsAsync<IngestException>(() => IngestAsync(Document(), repository, sha));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }
}
