using PerfCI.Core.Importers;
using static PerfCI.Core.Tests.Importers.ImportAssert;

namespace PerfCI.Core.Tests.Importers;

public sealed class VllmServingImporterTests
{
    [Fact]
    public void Import_MapsVllmFields_OntoCatalogNames()
    {
        var document = ImportFixture("handwritten-vllm-bench-serve.json");

        var scenario = Assert.Single(document.Scenarios);
        Assert.Equal("serving@c32", scenario.Key);
        Assert.Null(scenario.RequestRate); // "inf"
        Single(85.2, scenario, "ttft_mean");
        Single(80.1, scenario, "ttft_p50");
        Single(20.3, scenario, "ttft_std");
        Single(160.4, scenario, "ttft_p99");
        Single(14.5, scenario, "tpot_p50");
        Single(30.8, scenario, "itl_p99");
        Single(61.7, scenario, "e2e_std");
        Single(2188.5, scenario, "e2e_p99_9");
        Single(16.33, scenario, "request_throughput");
        Single(2090.4, scenario, "output_throughput");
        Single(18814.3, scenario, "total_throughput");
        Single(2432.0, scenario, "peak_output_throughput");
        Single(1000, scenario, "completed_requests");
        Single(0, scenario, "failed_requests");
        Assert.DoesNotContain(scenario.Metrics, m => m.Name == "goodput"); // request_goodput is null
    }

    [Fact]
    public void Import_FillsModelEngineAndWorkload_OfVllmResult()
    {
        var document = ImportFixture("handwritten-vllm-bench-serve.json");

        Assert.Equal("meta-llama/Llama-3.1-8B-Instruct", document.Model);
        Assert.Equal("vllm", document.Engine!.Name);
        Assert.Equal(new PerfCI.Core.Results.ResultSource("vllm", null, "handwritten-vllm-bench-serve.json"), document.Source);
        var workload = document.Scenarios[0].Workload!;
        Assert.Equal((1024, 128, 1000), (workload.InputTokens, workload.OutputTokens, workload.Requests));
    }

    [Fact]
    public void Import_ReadsEveryLine_OfAppendedVllmResults_AndMergesRepeats()
    {
        var document = ImportFixture("handwritten-vllm-bench-serve-append.jsonl");

        Assert.Equal(["random_in1024_out128@r2", "random_in1024_out128@r8"], document.Scenarios.Select(s => s.Key));
        Single(41.0, Scenario(document, "random_in1024_out128@r2"), "ttft_mean");
        var repeated = Scenario(document, "random_in1024_out128@r8");
        Assert.Equal([58.3, 57.1], Samples(repeated, "ttft_mean"));
        Assert.Equal([969.7, 980.8], Samples(repeated, "output_throughput"));
        Assert.Equal([0, 1], repeated.Trials.Select(t => t.Index));
        Assert.Equal("random", repeated.Workload!.Dataset);
    }

    [Fact]
    public void Import_NamesLineAndField_WhenAValueIsNotANumber()
    {
        var lines = File.ReadAllLines(Fixture("handwritten-vllm-bench-serve-append.jsonl"));
        lines[2] = lines[2].Replace("\"p99_ttft_ms\": 109.9", "\"p99_ttft_ms\": \"fast\"", StringComparison.Ordinal);

        var error = Fails(new VllmServingImporter(), "results.jsonl", string.Join('\n', lines));

        Assert.Equal("results.jsonl:3: p99_ttft_ms: expected a number, was \"fast\"", error.Message);
        Assert.Equal((3, "p99_ttft_ms"), (error.Line, error.Field));
    }

    [Fact]
    public void Import_NamesTheField_WhenMaxConcurrencyIsNotPositive()
    {
        var json = File.ReadAllText(Fixture("handwritten-vllm-bench-serve.json")).Replace("\"max_concurrency\": 32", "\"max_concurrency\": 0", StringComparison.Ordinal);

        var error = Fails(new VllmServingImporter(), "result.json", json);

        Assert.Equal("result.json: max_concurrency: expected a positive number of requests in flight, was 0", error.Message);
    }

    [Fact]
    public void Import_Fails_WhenAResultHasNoMetric()
    {
        var error = Fails(new VllmServingImporter(), "result.json", """{"model_id": "m", "request_rate": "inf", "burstiness": 1.0}""");

        Assert.Equal("result.json: no vLLM serving metric (mean_ttft_ms, request_throughput, ...) in this result", error.Message);
    }
}
