using PerfCI.Core.Importers;
using static PerfCI.Core.Tests.Importers.ImportAssert;

namespace PerfCI.Core.Tests.Importers;

public sealed class LlamaBenchImporterTests
{
    private static readonly LlamaBenchImporter Importer = new();

    [Fact]
    public void Import_ReadsEveryRow_OfLlamaBenchCsv()
    {
        var document = ImportFixture("llama-bench-b5163.csv");

        Assert.Equal(["pp512", "tg128"], document.Scenarios.Select(s => s.Key));
        var pp = Scenario(document, "pp512");
        var tg = Scenario(document, "tg128");
        Single(7285.676949, pp, "prefill_throughput");
        Single(70.28566, pp, "prefill_latency");
        Single(119.915244, tg, "decode_throughput");
        Single(1067431600 / 1e6 / 128, tg, "decode_latency"); // ms per generated token
        Assert.Equal(512, pp.Workload!.InputTokens);
        Assert.Equal(128, tg.Workload!.OutputTokens);
        Assert.Null(pp.BatchSize);
    }

    [Fact]
    public void Import_FillsSourceEngineAndModel_FromTheLlamaBenchRow()
    {
        var document = ImportFixture("llama-bench-b5163.csv");

        Assert.Equal(new PerfCI.Core.Results.ResultSource("llama-bench", "b5163", "llama-bench-b5163.csv"), document.Source);
        Assert.Equal(new PerfCI.Core.Results.EngineInfo("llama.cpp", "b5163", "8cf427ff"), document.Engine);
        Assert.Equal("Qwen2.5-7B-Instruct-Q4_K_M.gguf", document.Model);
        Assert.Equal(new DateTimeOffset(2025, 4, 24, 11, 57, 9, TimeSpan.Zero), document.StartedAt);
    }

    [Fact]
    public void Import_KeepsEveryRepetition_OfLlamaBenchJson()
    {
        var document = ImportFixture("llama-bench-b5163.json");

        var pp = Scenario(document, "pp512");
        Assert.Equal([6863.1, 7147.55, 7136.37, 7115.79, 7237.21], Samples(pp, "prefill_throughput"));
        Assert.Equal([74.6019, 71.6329, 71.7452, 71.9527, 70.7455], Samples(pp, "prefill_latency"));
        Assert.Equal([119.03, 120.178, 119.43, 118.307, 117.464], Samples(Scenario(document, "tg128"), "decode_throughput"));
    }

    [Fact]
    public void Import_ReadsEveryLine_OfLlamaBenchJsonLines()
    {
        var document = ImportFixture("llama-bench-b5163.jsonl");

        Assert.Equal(2, document.Scenarios.Count);
        Assert.Equal([120.038, 120.203, 118.624, 120.377, 119.982], Samples(Scenario(document, "tg128"), "decode_throughput"));
        Assert.Equal(1066331700 / 1e6 / 128, Samples(Scenario(document, "tg128"), "decode_latency")[0], 1e-9);
    }

    [Fact]
    public void Import_NamesTheScenario_ByTheSettingThatVaries()
    {
        var line = File.ReadAllLines(Fixture("llama-bench-b5163.jsonl"))[0];
        var content = line + "\n" + line.Replace("\"flash_attn\": false", "\"flash_attn\": true", StringComparison.Ordinal) + "\n";

        var document = Valid(Importer.Import("fa.jsonl", content));

        Assert.Equal(["pp512 flash_attn=false", "pp512 flash_attn=true"], document.Scenarios.Select(s => s.Name));
    }

    [Fact]
    public void Import_NamesCombinedAndDepthTests()
    {
        var line = File.ReadAllLines(Fixture("llama-bench-b5163.jsonl"))[0]
            .Replace("\"n_gen\": 0", "\"n_gen\": 32", StringComparison.Ordinal)
            .Replace("\"n_depth\": 0", "\"n_depth\": 4096", StringComparison.Ordinal);

        var scenario = Valid(Importer.Import("pg.jsonl", line)).Scenarios.Single();

        Assert.Equal("pp512+tg32_d4096", scenario.Name);
        Assert.Equal([7155.74, 7188.71, 7276.44, 7373.37, 7323.8], Samples(scenario, "total_throughput"));
        Assert.Equal(71.551, Samples(scenario, "batch_latency")[0], 1e-9);
    }

    [Fact]
    public void Import_NamesLineAndColumn_WhenACsvValueIsNotANumber()
    {
        var lines = File.ReadAllLines(Fixture("llama-bench-b5163.csv"));
        lines[2] = lines[2].Replace("\"119.915244\"", "\"fast\"", StringComparison.Ordinal);

        var error = Fails(Importer, "bench.csv", string.Join('\n', lines));

        Assert.Equal("bench.csv:3: avg_ts: expected a number, was \"fast\"", error.Message);
    }

    [Fact]
    public void Import_NamesTheHeader_WhenACsvColumnIsMissing()
    {
        var table = File.ReadAllLines(Fixture("llama-bench-b5163.csv"))
            .Select(l => string.Join(',', l.Split(',').SkipLast(2))); // drops avg_ts and stddev_ts

        var error = Fails(Importer, "bench.csv", string.Join('\n', table));

        Assert.Equal("bench.csv:1: avg_ts: required column is missing from the header", error.Message);
    }

    [Fact]
    public void Import_NamesTheLine_WhenACsvRowHasTooFewFields()
    {
        var lines = File.ReadAllLines(Fixture("llama-bench-b5163.csv"));
        lines[1] = lines[1][..lines[1].LastIndexOf(',')];

        var error = Fails(Importer, "bench.csv", string.Join("\r\n", lines));

        Assert.Equal("bench.csv:2: expected 33 fields as in the header, found 32", error.Message);
    }

    [Fact]
    public void Import_NamesTheLineAndField_WhenAJsonLineHasAWrongType()
    {
        var lines = File.ReadAllLines(Fixture("llama-bench-b5163.jsonl"));
        lines[1] = lines[1].Replace("\"n_gen\": 128", "\"n_gen\": \"many\"", StringComparison.Ordinal);

        var error = Fails(Importer, "bench.jsonl", string.Join('\n', lines));

        Assert.Equal("bench.jsonl:2: n_gen: expected a number, was \"many\"", error.Message);
    }

    [Fact]
    public void Import_SaysWhereTheJsonEnds_WhenTheArrayIsTruncated()
    {
        var json = File.ReadAllText(Fixture("llama-bench-b5163.json"));

        var error = Fails(Importer, "bench.json", json[..(json.Length / 2)]);

        Assert.StartsWith("bench.json:", error.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }
}
