using PerfCI.Core.Importers;
using PerfCI.Core.Domain;
using static PerfCI.Core.Tests.Importers.ImportAssert;

namespace PerfCI.Core.Tests.Importers;

public sealed class SglangImporterTests
{
    [Fact]
    public void Import_ReadsEveryRun_OfBenchOneBatch_InMilliseconds()
    {
        var document = ImportFixture("sglang-bench_one_batch.jsonl");

        Assert.Equal(8, document.Scenarios.Count);
        Assert.Equal("sglang-one-batch", document.Source.Tool);
        var scenario = Scenario(document, "bs16_in512_out256@b16");
        Assert.Equal(16, scenario.BatchSize);
        Assert.Equal((512, 256), (scenario.Workload!.InputTokens, scenario.Workload.OutputTokens));
        Single(79.86187934875488, scenario, "prefill_latency");
        Single(102577.1001985282, scenario, "prefill_throughput");
        Single(4.330873489379883, scenario, "decode_latency");
        Single(3694.404844481145, scenario, "decode_throughput");
        Single(1184.3087673187256, scenario, "batch_latency");
        Single(10375.672577194566, scenario, "total_throughput");
    }

    [Fact]
    public void Import_ReadsTheOlderBenchOneBatchServer()
    {
        var document = ImportFixture("sglang-bench_one_batch_server-old.jsonl");

        Assert.Equal(["bs1_in1024_out8@b1", "bs16_in1024_out8@b16", "bs64_in1024_out8@b64"], document.Scenarios.Select(s => s.Key));
        var scenario = Scenario(document, "bs64_in1024_out8@b64");
        Single(836.1, scenario, "batch_latency");
        Single(612.36, scenario, "output_throughput");
        Single(78994.36, scenario, "total_throughput");
    }

    [Fact]
    public void Import_NamesTheLine_OfATruncatedJsonLine()
    {
        var lines = File.ReadAllLines(Fixture("sglang-bench_one_batch.jsonl"));
        lines[2] = lines[2][..40];

        var error = Fails(new SglangOneBatchImporter(), "one_batch.jsonl", string.Join('\n', lines));

        Assert.StartsWith("one_batch.jsonl:3: not valid JSON:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_ReadsBareInfinity_AsAllAtOnce_OfBenchServing()
    {
        var document = ImportFixture("handwritten-sglang-bench_serving.jsonl");

        var scenario = Scenario(document, "random_in1024_out1024@c64");
        Assert.Null(scenario.RequestRate);
        Assert.Equal("sglang", document.Engine!.Name);
        Single(312.4, scenario, "ttft_mean");
        Single(205.3, scenario, "ttft_p50");
        Single(290.2, scenario, "ttft_std");
        Single(19870.1, scenario, "e2e_p99");
        Single(35.2, scenario, "itl_p95");
        Single(5.38, scenario, "request_throughput");
        Single(2815.6, scenario, "input_throughput");
        Single(512, scenario, "completed_requests");
        Assert.Equal(1024, scenario.Workload!.InputTokens);
        Assert.Equal("random", scenario.Workload.Dataset);
    }

    [Fact]
    public void Import_KeepsTheRequestRate_AndLeavesOutNaN_OfBenchServing()
    {
        var document = ImportFixture("handwritten-sglang-bench_serving.jsonl");

        var scenario = Scenario(document, "random_in1024_out1024@r8");
        Assert.Equal(8.0, scenario.RequestRate);
        Assert.Null(scenario.Concurrency);
        Assert.DoesNotContain(scenario.Metrics, m => m.Name == "itl_std"); // the file says NaN
        Single(36.2, scenario, "itl_p50");
        var accept = scenario.Metrics.Single(m => m.Name == "sglang_accept_length");
        Assert.Equal(("tok/step", MetricDirection.HigherIsBetter, 2.41), (accept.Unit, accept.Direction, accept.Samples.Single()));
    }

    [Fact]
    public void Import_ChecksTheRequestRate_OfBenchServing()
    {
        const string line = """{"backend": "sglang", "dataset_name": "sharegpt", "request_rate": 0, "completed": 10, "mean_ttft_ms": 12.5}""";

        var error = Fails(new SglangServingImporter(), "serving.jsonl", line);

        Assert.Equal("serving.jsonl:1: request_rate: expected a positive number of requests per second or \"inf\", was 0", error.Message);
    }
}
