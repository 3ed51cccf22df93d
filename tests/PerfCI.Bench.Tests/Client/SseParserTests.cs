using System.Text;
using PerfCI.Bench.Client;

namespace PerfCI.Bench.Tests.Client;

public sealed class SseParserTests
{
    private static List<string> ParseInPieces(string stream, int pieceSize)
    {
        var parser = new SseParser();
        var events = new List<string>();
        var pending = Array.Empty<byte>();
        var bytes = Encoding.UTF8.GetBytes(stream);
        for (var offset = 0; offset < bytes.Length; offset += pieceSize)
        {
            var piece = bytes.AsSpan(offset, Math.Min(pieceSize, bytes.Length - offset));
            byte[] buffer = [.. pending, .. piece];
            var consumed = parser.Parse(buffer, e => events.Add(Encoding.UTF8.GetString(e)));
            pending = buffer[consumed..];
            // The parser must not keep pointing into a buffer it has given back: scribble over it.
            buffer.AsSpan().Fill((byte)'#');
        }
        parser.Complete(pending, e => events.Add(Encoding.UTF8.GetString(e)));
        return events;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Parse_SplitsEvents_HowEverTheBytesArrive(int pieceSize)
    {
        const string stream = "data: {\"a\":1}\n\ndata:{\"b\":2}\r\n\r\n: keep-alive\n\nevent: message\nid: 7\ndata: [DONE]\n\n";

        Assert.Equal(["{\"a\":1}", "{\"b\":2}", "[DONE]"], ParseInPieces(stream, pieceSize));
    }

    [Fact]
    public void Parse_JoinsMultiLineData_WithNewlines()
    {
        Assert.Equal(["line one\nline two"], ParseInPieces("data: line one\ndata: line two\n\n", 3));
    }

    [Fact]
    public void Parse_HasNoLineLengthLimit()
    {
        var huge = new string('x', 5_000_000);

        var events = ParseInPieces($"data: {{\"text\":\"{huge}\"}}\n\n", 64 * 1024);

        Assert.Equal(huge.Length + 11, Assert.Single(events).Length);
    }

    [Fact]
    public void Complete_DeliversAnEventThatWasNeverClosed()
    {
        Assert.Equal(["{\"a\":1}", "{\"b\":"], ParseInPieces("data: {\"a\":1}\n\ndata: {\"b\":", 5));
    }
}
