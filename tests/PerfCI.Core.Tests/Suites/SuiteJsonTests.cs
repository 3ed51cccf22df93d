using System.Text.Json;
using PerfCI.Core.Results;
using PerfCI.Core.Suites;

namespace PerfCI.Core.Tests.Suites;

public sealed class SuiteJsonTests
{
    private const string Yaml = """
        suites:
          - name: vllm
            runs-on: [gpu, h100]
            build: pip install -e .
            model: /models/llama-3-8b
            environment: { VLLM_USE_V1: "1" }
            timeout: 2h
            engine:
              command: vllm serve {model} --port {port}
              ready: http://127.0.0.1:{port}/health
              stop-grace: 20s
            scenarios:
              - name: chat
                endpoint: chat
                workload: { input-tokens: 1024, output-tokens: 128, range-ratio: 0.1, seed: 3 }
                rate: [4, 16]
                burstiness: 0.8
                max-concurrency: 64
                slo: { ttft-ms: 250 }
              - name: closed
                workload: { dataset: data/sharegpt.json }
                concurrency: [1, 8]
            thresholds: { default: 4%, ttft_p99: 10% }
        """;

    public static TheoryData<string> OptionSets => ["web", "result-document"];

    private static JsonSerializerOptions Options(string name) =>
        name == "web" ? new JsonSerializerOptions(JsonSerializerDefaults.Web) : ResultDocumentJson.Options;

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void SystemTextJson_RoundTripsAParsedSuiteFile(string optionSet)
    {
        var options = Options(optionSet);
        var parsed = SuiteParser.Parse(Yaml);

        var json = JsonSerializer.Serialize(parsed, options);
        var back = JsonSerializer.Deserialize<SuiteFile>(json, options)!;

        Assert.Equal(json, JsonSerializer.Serialize(back, options));
        var suite = Assert.Single(back.Suites);
        Assert.Equal(["gpu", "h100"], suite.RunsOn);
        Assert.Equal("1", suite.Environment["VLLM_USE_V1"]);
        Assert.Equal(TimeSpan.FromHours(2), suite.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(20), suite.Engine.StopGrace);
        Assert.Equal("vllm serve {model} --port {port}", suite.Engine.Command);
        Assert.Equal(ScenarioEndpoint.Chat, suite.Scenarios[0].Endpoint);
        Assert.Equal([4.0, 16.0], suite.Scenarios[0].Rate);
        Assert.Equal(LoadKind.OpenLoop, suite.Scenarios[0].LoadKind);
        Assert.Equal(64, suite.Scenarios[0].MaxConcurrency);
        Assert.Equal(parsed.Suites[0].Scenarios[0].Workload, suite.Scenarios[0].Workload);
        Assert.Equal(parsed.Suites[0].Scenarios[0].Slo, suite.Scenarios[0].Slo);
        Assert.Equal([1, 8], suite.Scenarios[1].Concurrency);
        Assert.Equal("data/sharegpt.json", suite.Scenarios[1].Workload.Dataset);
        Assert.Equal(0.04, suite.Thresholds.Default, 12);
        Assert.Equal(0.10, suite.Thresholds.For("ttft_p99"), 12);
    }

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void SystemTextJson_WritesTheEndpointAsItsYamlName_AndLeavesOutComputedMembers(string optionSet)
    {
        var json = JsonSerializer.Serialize(SuiteParser.Parse(Yaml), Options(optionSet));

        Assert.Matches("\"endpoint\":\\s*\"chat\"", json);
        Assert.Matches("\"endpoint\":\\s*\"completions\"", json);
        Assert.DoesNotMatch("(?i)load_?kind|load_?points", json);
    }

    [Fact]
    public void SystemTextJson_KeepsEnvironmentAndMetricNames_UnderASnakeCaseKeyPolicy()
    {
        var json = JsonSerializer.Serialize(SuiteParser.Parse(Yaml), ResultDocumentJson.Options);

        Assert.Contains("\"VLLM_USE_V1\": \"1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"ttft_p99\": 0.1", json, StringComparison.Ordinal);
        Assert.Contains("\"max_concurrency\": 64", json, StringComparison.Ordinal);
    }
}
