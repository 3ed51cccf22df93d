using PerfCI.Core.Importers;

namespace PerfCI.Bench.Tests;

public sealed class ResultFilesTests
{
    [Fact]
    public void Import_SaysWhichFile_CannotBeRead()
    {
        var error = Assert.Throws<ImportException>(() => ResultFiles.Import(Path.Combine(Path.GetTempPath(), "perfci-no-such-dir", "missing.json")));

        Assert.StartsWith("missing.json: cannot read the file:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_ReadsAFile_WithTheImporterItsContentShows()
    {
        var path = Path.Combine(Path.GetTempPath(), $"perfci-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, """{"run_name": "default", "batch_size": 1, "input_len": 1024, "output_len": 8, "latency": 0.0654, "output_throughput": 122.37, "overall_throughput": 15785.94}""" + "\n");
        try
        {
            var document = ResultFiles.Import(path);

            Assert.Equal("sglang-one-batch", document.Source.Tool);
            Assert.Equal(Path.GetFileName(path), document.Source.File);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
