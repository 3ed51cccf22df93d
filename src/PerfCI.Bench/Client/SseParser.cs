using System.Buffers;

namespace PerfCI.Bench.Client;

/// <summary>
/// Splits a server-sent-event byte stream into events, incrementally, with no limit on line
/// length (a long-context response is one long line; a 64 KB cap breaks it). Implements what
/// OpenAI-compatible servers use of the SSE format: <c>data:</c> lines (with or without the space),
/// several data lines joined by a newline, <c>:</c> comments, other fields ignored, an event ending
/// at a blank line, CRLF or LF line ends.
/// </summary>
public sealed class SseParser
{
    private readonly ArrayBufferWriter<byte> _data = new(256);
    private bool _hasData;

    /// <summary>
    /// Consumes whole lines from <paramref name="buffer"/>, calling <paramref name="onEvent"/> with
    /// each complete event's data. Returns the position up to which the buffer was consumed; the
    /// rest (a partial line) must be offered again with more bytes.
    /// </summary>
    public SequencePosition Parse(ReadOnlySequence<byte> buffer, Action<ReadOnlyMemory<byte>> onEvent)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            ParseLine(line, onEvent);
        return reader.Position;
    }

    /// <summary>At the end of the stream: an event that was never closed by a blank line still counts.</summary>
    public void Complete(ReadOnlySequence<byte> rest, Action<ReadOnlyMemory<byte>> onEvent)
    {
        if (!rest.IsEmpty)
            ParseLine(rest, onEvent);
        Dispatch(onEvent);
    }

    private void ParseLine(ReadOnlySequence<byte> line, Action<ReadOnlyMemory<byte>> onEvent)
    {
        ReadOnlySpan<byte> span = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        if (span.Length > 0 && span[^1] == (byte)'\r')
            span = span[..^1];
        if (span.IsEmpty)
        {
            Dispatch(onEvent);
            return;
        }
        if (span[0] == (byte)':')
            return; // comment, e.g. a keep-alive
        var colon = span.IndexOf((byte)':');
        var field = colon < 0 ? span : span[..colon];
        if (!field.SequenceEqual("data"u8))
            return; // event:, id:, retry: carry nothing PerfCI needs
        var value = colon < 0 ? [] : span[(colon + 1)..];
        if (value.Length > 0 && value[0] == (byte)' ')
            value = value[1..];
        if (_hasData)
            _data.Write("\n"u8);
        _data.Write(value);
        _hasData = true;
    }

    private void Dispatch(Action<ReadOnlyMemory<byte>> onEvent)
    {
        if (!_hasData)
            return;
        onEvent(_data.WrittenMemory);
        _data.ResetWrittenCount();
        _hasData = false;
    }
}
