using PerfCI.Core.Analysis;
using PerfCI.Core.Importers;

namespace PerfCI.Core.Tests.Analysis;

public sealed class SeriesFileTests
{
    [Fact]
    public void Parse_ReadsCsvWithAHeader_CommitAndTrialColumns()
    {
        var points = SeriesFile.Parse("s.csv", "commit,t1,t2,t3\nabc,1.5,1.6,1.7\ndef,2,2.1,\n");

        Assert.Equal(["abc", "def"], points.Select(p => p.Commit));
        Assert.Equal([1.5, 1.6, 1.7], points[0].Samples);
        Assert.Equal([2, 2.1], points[1].Samples); // an empty cell is a trial that was not run
    }

    [Fact]
    public void Parse_ReadsCsvWithoutAHeader_OneValueOrACommitFirst()
    {
        Assert.Equal([[10.0], [11.0]], SeriesFile.Parse("s.csv", "10\n11\n").Select(p => p.Samples));
        var withCommits = SeriesFile.Parse("s.csv", "a1b2,10,10.5\nc3d4,11,11.5\n");
        Assert.Equal(["a1b2", "c3d4"], withCommits.Select(p => p.Commit));
        Assert.Equal([11, 11.5], withCommits[1].Samples);
    }

    [Fact]
    public void Parse_ReadsEveryJsonShape()
    {
        Assert.Equal([[1.0], [2.0]], SeriesFile.Parse("s.json", "[1, 2]").Select(p => p.Samples));
        Assert.Equal([[1.0, 1.1], [2.0]], SeriesFile.Parse("s.json", "[[1, 1.1], [2]]").Select(p => p.Samples));
        var objects = SeriesFile.Parse("s.json", """[{"commit": "abc", "samples": [1, 2]}, {"commit": "def", "value": 3}]""");
        Assert.Equal(["abc", "def"], objects.Select(p => p.Commit));
        Assert.Equal([3.0], objects[1].Samples);
        var lines = SeriesFile.Parse("s.jsonl", "{\"commit\": \"a\", \"value\": 1}\n{\"commit\": \"b\", \"value\": 2}\n");
        Assert.Equal(["a", "b"], lines.Select(p => p.Commit));
    }

    [Theory]
    [InlineData("s.csv", "commit,value\nabc,1\ndef,fast\n", "s.csv:3: value: expected a finite number, was \"fast\"")]
    [InlineData("s.csv", "1\n2\nNaN\n", "s.csv:3: column 1: expected a finite number, was \"NaN\"")]
    [InlineData("s.csv", "commit,value\nabc,\n", "s.csv:2: the point has no value")]
    [InlineData("s.json", """[{"commit": "a", "samples": [1, "x"]}]""", "s.json: [0].samples[1]: expected a number, was \"x\"")]
    [InlineData("s.json", """[{"commit": "a"}]""", "s.json: [0]: expected either \"samples\" (the trials) or \"value\" (one number)")]
    [InlineData("s.json", "[[]]", "s.json: [0]: expected at least one sample")]
    [InlineData("s.json", "[1, 2", "s.json:1: not valid JSON")]
    [InlineData("s.csv", "  \n", "s.csv: the file is empty")]
    public void Parse_NamesTheFileAndTheLineOrField_OfBadInput(string file, string content, string message)
    {
        var error = Assert.Throws<ImportException>(() => SeriesFile.Parse(file, content));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }
}
