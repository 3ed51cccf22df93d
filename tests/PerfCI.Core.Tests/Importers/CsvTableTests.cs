using PerfCI.Core.Importers;

namespace PerfCI.Core.Tests.Importers;

public sealed class CsvTableTests
{
    [Fact]
    public void ReadRecords_FollowsRfc4180_QuotesCommasAndLineBreaks()
    {
        const string csv = "name,note,value\r\n\"a, b\",\"said \"\"hi\"\"\",1\r\nplain,\"two\nlines\",2\r\n\r\nlast,,3";

        var records = CsvTable.ReadRecords("x.csv", csv);

        Assert.Equal([1, 2, 3, 6], records.Select(r => r.Line));
        Assert.Equal(["a, b", "said \"hi\"", "1"], records[1].Fields);
        Assert.Equal(["plain", "two\nlines", "2"], records[2].Fields);
        Assert.Equal(["last", "", "3"], records[3].Fields);
    }

    [Fact]
    public void ReadRecords_NamesTheLine_OfAQuoteNeverClosed()
    {
        var error = Assert.Throws<ImportException>(() => CsvTable.ReadRecords("x.csv", "a,b\n1,\"open\n2,3\n"));

        Assert.Equal("x.csv:2: a quoted field is not closed before the end of the file", error.Message);
    }

    [Fact]
    public void ReadRecords_RejectsTextAfterAClosingQuote()
    {
        var error = Assert.Throws<ImportException>(() => CsvTable.ReadRecords("x.csv", "a,b\n\"1\"x,2\n"));

        Assert.Equal("x.csv:2: text after the closing quote of field 1", error.Message);
    }
}
