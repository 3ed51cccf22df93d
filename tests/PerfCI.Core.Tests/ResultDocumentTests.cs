using PerfCI.Core.Domain;
using PerfCI.Core.Results;

namespace PerfCI.Core.Tests;

public sealed class ResultDocumentTests
{
    private static ResultDocument Valid() => new()
    {
        Source = new ResultSource("perfci-bench", "0.1.0"),
        Model = "llama-3-8b",
        Scenarios =
        [
            new ScenarioResult
            {
                Name = "chat-1k-128", Concurrency = 16,
                Workload = new WorkloadInfo { InputTokens = 1024, OutputTokens = 128, Requests = 200 },
                Metrics = [MetricCatalog.Samples("ttft_p99", 41.5, 40.2, 43.1), MetricCatalog.Samples("output_throughput", 1800, 1790, 1812)],
            },
        ],
    };

    [Fact]
    public void RoundTrip_KeepsEveryTrialSample_InSnakeCase()
    {
        var json = ResultDocumentJson.Serialize(Valid());

        var parsed = ResultDocumentJson.Parse(json);

        Assert.Contains("\"lower_is_better\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("request_rate", json, StringComparison.Ordinal); // nulls are left out
        Assert.Contains("\"input_tokens\": 1024", json, StringComparison.Ordinal);
        Assert.Equal([41.5, 40.2, 43.1], parsed.Scenarios[0].Metrics[0].Samples);
        Assert.Equal("chat-1k-128@c16", parsed.Scenarios[0].Key);
    }

    [Fact]
    public void Parse_ReportsEveryBadField_WithItsPath()
    {
        var bad = Valid() with
        {
            Scenarios =
            [
                Valid().Scenarios[0] with
                {
                    Concurrency = 0,
                    Metrics = [new MetricSamples("ttft_p99", "s", MetricDirection.LowerIsBetter, [1]), new MetricSamples("x", "ms", MetricDirection.LowerIsBetter, [])],
                },
            ],
        };

        var error = Assert.Throws<ResultDocumentException>(() => ResultDocumentJson.Parse(ResultDocumentJson.Serialize(bad), "results.json"));

        Assert.Equal(["scenarios[0].concurrency", "scenarios[0].metrics[0]", "scenarios[0].metrics[1].samples"], error.Fields);
        Assert.StartsWith("results.json: scenarios[0].concurrency: must be a positive integer, was 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("'ttft_p99' is measured in ms, lower is better", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NamesTheLineAndField_OfMalformedJson()
    {
        const string json = "{\n  \"source\": {\"tool\": \"x\"},\n  \"scenarios\": [{\"name\": \"a\", \"concurrency\": \"many\"}]\n}";

        var error = Assert.Throws<ResultDocumentException>(() => ResultDocumentJson.Parse(json, "results.json"));

        Assert.StartsWith("results.json:3: scenarios[0].concurrency:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(16, null, null, "s@c16")]
    [InlineData(null, 2.5, null, "s@r2.5")]
    [InlineData(null, null, 8, "s@b8")]
    [InlineData(null, null, null, "s")]
    public void Key_NamesTheLoadPoint(int? concurrency, double? rate, int? batch, string expected)
    {
        var scenario = new ScenarioResult { Name = "s", Concurrency = concurrency, RequestRate = rate, BatchSize = batch };

        Assert.Equal(expected, scenario.Key);
    }
}
