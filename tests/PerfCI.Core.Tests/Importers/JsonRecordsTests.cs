using PerfCI.Core.Importers;

namespace PerfCI.Core.Tests.Importers;

public sealed class JsonRecordsTests
{
    [Fact]
    public void QuoteNonFiniteLiterals_QuotesBareLiterals_ButNotTextInStrings()
    {
        const string json = """{"rate": Infinity, "low": -Infinity, "std": NaN, "note": "NaN \" Infinity"}""";

        var quoted = JsonRecords.QuoteNonFiniteLiterals(json);

        Assert.Equal("""{"rate": "Infinity", "low": "-Infinity", "std": "NaN", "note": "NaN \" Infinity"}""", quoted);
    }

    [Fact]
    public void Read_GivesEachJsonLine_ItsLineNumber()
    {
        var values = JsonRecords.Read("runs.json", "{\"a\": 1}\n\n{\"a\": 2}\n");

        Assert.Equal([1, 3], values.Select(v => v.Location.Line));
        Assert.Equal([1.0, 2.0], values.Select(v => v.RequiredNumber("a")));
    }

    [Fact]
    public void Read_LeavesTheLineOut_OfASingleDocument()
    {
        var value = JsonRecords.ReadSingle("result.json", "{\n  \"a\": \"x\"\n}\n");

        var error = Assert.Throws<ImportException>(() => value.RequiredNumber("a"));

        Assert.Equal("result.json: a: expected a number, was \"x\"", error.Message);
    }
}
