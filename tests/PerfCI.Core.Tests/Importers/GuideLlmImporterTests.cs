using System.Text.Json.Nodes;
using PerfCI.Core.Importers;
using static PerfCI.Core.Tests.Importers.ImportAssert;

namespace PerfCI.Core.Tests.Importers;

public sealed class GuideLlmImporterTests
{
    [Fact]
    public void Import_ReadsTheSynchronousBenchmark_OfGuideLlm()
    {
        var document = ImportFixture("guidellm-v0.3-benchmarks_stripped.json");

        var scenario = Assert.Single(document.Scenarios);
        Assert.Equal("in256_out128_synchronous@c1", scenario.Key);
        Single(16.792535781860348, scenario, "ttft_mean");
        Single(16.38054847717285, scenario, "ttft_p50");
        Single(21.281957626342773, scenario, "ttft_p99");
        Single(4.885653033852577, scenario, "tpot_p50");
        Single(4.941609043733832, scenario, "itl_mean");
        Single(644.4743664368339, scenario, "e2e_mean"); // seconds in the file
        Single(8.009110982988258, scenario, "e2e_std");
        Single(1.5481806532737452, scenario, "request_throughput");
        Single(198.13346751788123, scenario, "output_throughput");
        Single(46, scenario, "completed_requests");
        Single(0, scenario, "failed_requests");
    }

    [Fact]
    public void Import_FillsModelWorkloadAndTimes_OfGuideLlm()
    {
        var document = ImportFixture("guidellm-v0.3-benchmarks_stripped.json");

        Assert.Equal("example_model", document.Model);
        Assert.Equal("guidellm", document.Source.Tool);
        var workload = document.Scenarios[0].Workload!;
        Assert.Equal((256, 128, 47), (workload.InputTokens, workload.OutputTokens, workload.Requests));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1749157168183), document.StartedAt);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1749157198180), document.FinishedAt);
    }

    [Fact]
    public void Import_TakesTheLoadPoint_FromEachStrategy()
    {
        var root = JsonNode.Parse(File.ReadAllText(Fixture("guidellm-v0.3-benchmarks_stripped.json")))!;
        var benchmarks = root["benchmarks"]!.AsArray();
        var first = benchmarks[0]!;
        JsonNode WithStrategy(string json)
        {
            var copy = first.DeepClone();
            copy["args"]!["strategy"] = JsonNode.Parse(json);
            return copy;
        }
        benchmarks.Add(WithStrategy("""{"type_": "concurrent", "streams": 8}"""));
        benchmarks.Add(WithStrategy("""{"type_": "poisson", "rate": 2.5, "initial_burst": true}"""));
        benchmarks.Add(WithStrategy("""{"type_": "throughput", "max_concurrency": null}"""));

        var document = Valid(new GuideLlmImporter().Import("sweep.json", root.ToJsonString()));

        Assert.Equal(
            ["in256_out128_synchronous@c1", "in256_out128_concurrent@c8", "in256_out128_poisson@r2.5", "in256_out128_throughput"],
            document.Scenarios.Select(s => s.Key));
    }

    [Fact]
    public void Import_NamesTheNestedField_WhenItHasTheWrongType()
    {
        var json = File.ReadAllText(Fixture("guidellm-v0.3-benchmarks_stripped.json"))
            .Replace("\"mean\": 16.792535781860348", "\"mean\": [16.79]", StringComparison.Ordinal);

        var error = Fails(new GuideLlmImporter(), "benchmarks.json", json);

        Assert.Equal("benchmarks.json: benchmarks[0].metrics.time_to_first_token_ms.successful.mean: expected a number, was an array", error.Message);
    }
}
