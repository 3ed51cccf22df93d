using PerfCI.Core.Importers;
using static PerfCI.Core.Tests.Importers.ImportAssert;

namespace PerfCI.Core.Tests.Importers;

public sealed class ResultImportersTests
{
    [Theory]
    [InlineData("llama-bench-b5163.json", "llama-bench")]
    [InlineData("llama-bench-b5163.jsonl", "llama-bench")]
    [InlineData("llama-bench-b5163.csv", "llama-bench")]
    [InlineData("sglang-bench_one_batch.jsonl", "sglang-one-batch")]
    [InlineData("sglang-bench_one_batch_server-old.jsonl", "sglang-one-batch")]
    [InlineData("guidellm-v0.3-benchmarks_stripped.json", "guidellm")]
    [InlineData("inference-perf-summary_lifecycle_metrics.json", "inference-perf")]
    [InlineData("inference-perf-stage_0_lifecycle_metrics.json", "inference-perf")]
    [InlineData("inference-perf-stage_0_prometheus_metrics.json", "inference-perf")]
    [InlineData("perf_analyzer-profile_export-doc-example.json", "perf-analyzer")]
    [InlineData("handwritten-vllm-bench-serve.json", "vllm")]
    [InlineData("handwritten-vllm-bench-serve-append.jsonl", "vllm")]
    [InlineData("handwritten-sglang-bench_serving.jsonl", "sglang")]
    [InlineData("handwritten-evalscope-benchmark_summary.json", "evalscope")]
    [InlineData("handwritten-evalscope-benchmark_summary-new-labels.json", "evalscope")]
    [InlineData("handwritten-genai-perf-profile_export_genai_perf.json", "genai-perf")]
    public void Detect_RecognisesTheTool_FromTheContent(string fixture, string format)
    {
        var importer = ResultImporters.Detect(fixture, File.ReadAllText(Fixture(fixture)));

        Assert.Equal(format, importer.Format);
        var document = ImportFixture(fixture);
        Assert.Equal(format, document.Source.Tool);
        Assert.Equal(fixture, document.Source.File);
    }

    [Fact]
    public void Import_UsesTheNamedFormat_AndNamesWhatIsMissing()
    {
        var error = Assert.Throws<ImportException>(() => ImportFile(Fixture("guidellm-v0.3-benchmarks_stripped.json"), "inference-perf"));

        Assert.Equal("guidellm-v0.3-benchmarks_stripped.json: load_summary: required field is missing", error.Message);
    }

    [Fact]
    public void Import_AcceptsTheFormatName_InAnyCase()
    {
        var document = ImportFile(Fixture("llama-bench-b5163.csv"), "Llama-Bench");

        Assert.Equal(2, document.Scenarios.Count);
    }

    [Fact]
    public void Import_ListsTheFormats_WhenTheNameIsUnknown()
    {
        var error = Assert.Throws<ImportException>(() => ImportFile(Fixture("llama-bench-b5163.csv"), "mlperf"));

        Assert.Equal(
            "unknown format 'mlperf'; the formats are llama-bench, sglang-one-batch, sglang, vllm, guidellm, inference-perf, perf-analyzer, evalscope, genai-perf",
            error.Message);
    }

    [Fact]
    public void Detect_SaysToUseFormat_WhenNoToolMatches()
    {
        var error = Assert.Throws<ImportException>(() => ResultImporters.Detect("x.json", """{"accuracy": 0.93}"""));

        Assert.Equal(
            "x.json: not a result file of any supported tool (llama-bench, sglang-one-batch, sglang, vllm, guidellm, inference-perf, perf-analyzer, evalscope, genai-perf); use --format",
            error.Message);
    }

    [Fact]
    public void Import_SaysTheFileIsEmpty()
    {
        using var directory = new TempFile("empty.json", "  \n");

        var detected = Assert.Throws<ImportException>(() => ImportFile(directory.Path));
        var named = Assert.Throws<ImportException>(() => ImportFile(directory.Path, "vllm"));

        Assert.Equal("empty.json: the file is empty", detected.Message);
        Assert.Equal("empty.json: the file is empty", named.Message);
    }

    [Fact]
    public void Import_NamesTheLine_OfTruncatedJson()
    {
        var json = File.ReadAllText(Fixture("inference-perf-stage_0_lifecycle_metrics.json"));

        var error = Assert.Throws<ImportException>(() => ResultImporters.Import("stage_0_lifecycle_metrics.json", json[..^40], "inference-perf"));

        Assert.StartsWith("stage_0_lifecycle_metrics.json:1: not valid JSON:", error.Message, StringComparison.Ordinal);
    }

    private sealed class TempFile : IDisposable
    {
        private readonly string _directory = Directory.CreateTempSubdirectory("perfci-import-").FullName;

        public TempFile(string name, string content)
        {
            Path = System.IO.Path.Combine(_directory, name);
            File.WriteAllText(Path, content);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
