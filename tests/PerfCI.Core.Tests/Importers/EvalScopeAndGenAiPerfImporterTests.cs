using PerfCI.Core.Importers;
using static PerfCI.Core.Tests.Importers.ImportAssert;

namespace PerfCI.Core.Tests.Importers;

public sealed class EvalScopeAndGenAiPerfImporterTests
{
    [Fact]
    public void Import_ConvertsSeconds_OfAnEvalScopeSummary()
    {
        var document = ImportFixture("handwritten-evalscope-benchmark_summary.json");

        var scenario = Assert.Single(document.Scenarios);
        Assert.Equal("serving@c10", scenario.Key);
        Assert.Null(scenario.RequestRate); // -1: all at once
        Single(90.2, scenario, "ttft_mean");
        Single(6.0, scenario, "tpot_mean");
        Single(6.1, scenario, "itl_mean");
        Single(6185.2, scenario, "e2e_mean");
        Single(1.5703, scenario, "request_throughput");
        Single(1608.3124, scenario, "output_throughput");
        Single(98, scenario, "completed_requests");
        Single(2, scenario, "failed_requests");
        Assert.Equal((1024, 1024, 100), (scenario.Workload!.InputTokens, scenario.Workload.OutputTokens, scenario.Workload.Requests));
    }

    [Fact]
    public void Import_ReadsTheNewerLabels_OfAnEvalScopeSummary()
    {
        var scenario = ImportFixture("handwritten-evalscope-benchmark_summary-new-labels.json").Scenarios.Single();

        Assert.Equal("serving@c4", scenario.Key);
        Assert.Equal(2.0, scenario.RequestRate);
        Single(48.21, scenario, "ttft_mean");
        Single(2093.1, scenario, "e2e_mean");
        Single(1.8886, scenario, "request_throughput");
        Single(1450.45, scenario, "total_throughput");
        Single(60, scenario, "completed_requests");
    }

    [Fact]
    public void Import_MapsEveryStatistic_OfGenAiPerf()
    {
        var document = ImportFixture("handwritten-genai-perf-profile_export_genai_perf.json");

        Assert.Equal("gpt2_vllm", document.Model);
        var scenario = Assert.Single(document.Scenarios);
        Assert.Equal("synthetic_in550_out256@c1", scenario.Key);
        Single(11.6, scenario, "ttft_mean");
        Single(11.0, scenario, "ttft_p50");
        Single(20.8, scenario, "ttft_p99");
        Single(2.6, scenario, "ttft_std");
        Single(4.2, scenario, "itl_min");
        Single(175.5, scenario, "e2e_max");
        Single(7.21, scenario, "request_throughput");
        Single(1846.1, scenario, "output_throughput");
        Single(433, scenario, "completed_requests");
        Assert.DoesNotContain(scenario.Metrics, m => m.Name.Contains("p25", StringComparison.Ordinal));
    }

    [Fact]
    public void Import_ReadsTheNestedConfig_AndSecondUnits_OfNewerGenAiPerf()
    {
        const string json = """
            {
              "time_to_first_token": {"unit": "s", "avg": 0.0125, "p99": 0.031},
              "request_throughput": {"unit": "requests/sec", "avg": 9.5},
              "input_config": {"model_names": ["llama-3-8b"], "perf_analyzer": {"stimulus": {"request_rate": 10}},
                               "input": {"synthetic_tokens": {"mean": 200}, "output_tokens": {"mean": -1}}}
            }
            """;

        var document = Valid(new GenAiPerfImporter().Import("profile_export_genai_perf.json", json));

        Assert.Equal("llama-3-8b", document.Model);
        var scenario = document.Scenarios.Single();
        Assert.Equal("synthetic_in200@r10", scenario.Key);
        Single(12.5, scenario, "ttft_mean");
        Single(31, scenario, "ttft_p99");
    }

    [Fact]
    public void Import_NamesAnUnknownTimeUnit_OfGenAiPerf()
    {
        const string json = """{"time_to_first_token": {"unit": "fortnights", "avg": 1}, "input_config": {}}""";

        var error = Fails(new GenAiPerfImporter(), "genai.json", json);

        Assert.Equal("genai.json: time_to_first_token.unit: expected a time unit (ms, s, us, ns), was \"fortnights\"", error.Message);
    }
}
