using PerfCI.Core.Importers;
using static PerfCI.Core.Tests.Importers.ImportAssert;

namespace PerfCI.Core.Tests.Importers;

public sealed class InferencePerfImporterTests
{
    [Fact]
    public void Import_ReadsAStage_WithItsRequestedRate_InMilliseconds()
    {
        var document = ImportFixture("inference-perf-stage_0_lifecycle_metrics.json");

        var scenario = Assert.Single(document.Scenarios);
        Assert.Equal("stage_0@r1", scenario.Key);
        Single(31.12733216257766, scenario, "ttft_mean");
        Single(31.026913959067315, scenario, "ttft_p50");
        Single(39.696927970508104, scenario, "ttft_p99");
        Single(3.4734172405264745, scenario, "tpot_mean");
        Single(7.376356361201032, scenario, "itl_p99");
        Single(489.9891945802374, scenario, "e2e_p99_9");
        Single(7.457680346515889, scenario, "ntpot_p50");
        Single(1.0171575756131475, scenario, "request_throughput");
        Single(271.83536208261364, scenario, "total_throughput");
        Single(60, scenario, "completed_requests");
        Assert.Equal(60, scenario.Workload!.Requests);
    }

    [Fact]
    public void Import_KeepsAStage_ThatKeptItsSchedule_Valid()
    {
        var trial = Assert.Single(ImportFixture("inference-perf-stage_0_lifecycle_metrics.json").Scenarios[0].Trials);

        Assert.True(trial.Valid);
        Assert.Equal(["median schedule delay 0.521 ms", "requested 1 req/s, achieved 1.025 req/s"], trial.Notes);
    }

    [Fact]
    public void Import_MarksTheSummary_Invalid_WhenTheClientFellBehind()
    {
        var document = ImportFixture("inference-perf-summary_lifecycle_metrics.json");

        var scenario = Assert.Single(document.Scenarios);
        Assert.Equal("summary", scenario.Key);
        Single(38717, scenario, "completed_requests");
        Single(2041.737392009856, scenario, "ttft_mean");
        Single(16910.45560332236, scenario, "total_throughput");
        var trial = Assert.Single(scenario.Trials);
        Assert.False(trial.Valid);
        Assert.Equal(["median schedule delay 4481.693 ms"], trial.Notes);
    }

    [Fact]
    public void Import_ReadsTheServersPrometheusMetrics_AsASeriesOfTheirOwn()
    {
        var document = ImportFixture("inference-perf-stage_0_prometheus_metrics.json");

        var scenario = Assert.Single(document.Scenarios);
        Assert.Equal("stage_0_server", scenario.Key);
        Single(11.865978, scenario, "request_throughput");
        Single(2111.084841, scenario, "input_throughput");
        Single(685.444618, scenario, "output_throughput");
        Single(1795.431, scenario, "ttft_mean");
        Single(4553.063, scenario, "ttft_p90");
        Single(10, scenario, "tpot_p50");
        Single(4960.497, scenario, "e2e_p99");
        Single(937, scenario, "completed_requests");
    }

    [Fact]
    public void Import_NamesTheMissingSection()
    {
        var error = Fails(new InferencePerfImporter(), "stage_1_lifecycle_metrics.json", """{"load_summary": {"count": 3}, "failures": {"count": 0}}""");

        Assert.Equal("stage_1_lifecycle_metrics.json: successes: required field is missing", error.Message);
    }
}
