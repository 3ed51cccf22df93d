using PerfCI.Core.Importers;
using static PerfCI.Core.Tests.Importers.ImportAssert;

namespace PerfCI.Core.Tests.Importers;

public sealed class PerfAnalyzerImporterTests
{
    [Fact]
    public void Import_ComputesLatencies_FromTheDocumentationExample()
    {
        var document = ImportFixture("perf_analyzer-profile_export-doc-example.json");

        Assert.Equal(new PerfCI.Core.Results.ResultSource("perf-analyzer", "1.2.3", "perf_analyzer-profile_export-doc-example.json"), document.Source);
        var scenario = Assert.Single(document.Scenarios);
        Assert.Equal("profile@c4", scenario.Key);
        // Two answered requests, each first answered 1 ns after it was sent and done 3 ns after.
        Single(1e-6, scenario, "ttft_mean");
        Single(3e-6, scenario, "e2e_p99");
        Single(1e-6, scenario, "icl_p50");
        Single(0, scenario, "icl_std");
        Single(2, scenario, "completed_requests");
        Single(2 / 8e-9, scenario, "request_throughput"); // from the first send (1) to the last response (9)
        Assert.Equal(["1 of 3 requests have no response timestamps"], Assert.Single(scenario.Trials).Notes);
    }

    [Fact]
    public void Import_ComputesPercentiles_AsNumpyDoes()
    {
        // Five requests at a request rate, first responses after 10..50 ms, a second response 5 ms later.
        var requests = string.Join(", ", Enumerable.Range(1, 5).Select(i =>
        {
            var sent = 1_749_157_168_000_000_000L + (i * 1_000_000_000L);
            var first = sent + (i * 10_000_000L);
            return $$"""{"timestamp": {{sent}}, "sequence_id": {{i}}, "response_timestamps": [{{first}}, {{first + 5_000_000}}]}""";
        }));
        var json = $$"""{"experiments": [{"experiment": {"mode": "request_rate", "value": 1.5}, "requests": [{{requests}}], "window_boundaries": []}], "version": "2.0.0"}""";

        var scenario = Valid(new PerfAnalyzerImporter().Import("profile_export.json", json)).Scenarios.Single();

        Assert.Equal("profile@r1.5", scenario.Key);
        Single(30, scenario, "ttft_mean");
        Single(30, scenario, "ttft_p50");
        Single(46, scenario, "ttft_p90");         // rank 3.6 between 40 and 50
        Single(49.6, scenario, "ttft_p99");
        Single(Math.Sqrt(200), scenario, "ttft_std");
        Single(55, scenario, "e2e_max");
        Single(5, scenario, "icl_mean");
    }

    [Fact]
    public void Import_NamesTheRequest_WhoseResponseCameBeforeIt()
    {
        const string json = """{"experiments": [{"experiment": {"mode": "concurrency", "value": 1}, "requests": [{"timestamp": 100, "response_timestamps": [90]}]}]}""";

        var error = Fails(new PerfAnalyzerImporter(), "profile_export.json", json);

        Assert.Equal("profile_export.json: experiments[0].requests[0]: response 1 is timestamped before the request was sent", error.Message);
    }
}
