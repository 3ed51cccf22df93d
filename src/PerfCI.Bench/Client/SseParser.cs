using System.Buffers;

namespace PerfCI.Bench.Client;

/// <summary>One complete server-sent event's data. The span is only valid during the call.</summary>
public delegate void SseEventHandler(ReadOnlySpan<byte> data);

/// <summary>
/// Splits a server-sent-event byte stream into events, incrementally, with no limit on line
/// length (a long-context response is one long line; a 64 KB cap breaks it). Implements what
/// OpenAI-compatible servers use of the SSE format: <c>data:</c> lines (with or without the space),
/// several data lines joined by a newline, <c>:</c> comments, other fields ignored, an event ending
/// at a blank line, CRLF or LF line ends.
/// </summary>
/// <remarks>
/// An event whose one data line and closing blank line are in the same buffer (nearly every event)
/// is handed over as a slice of that buffer, copied nowhere. Only an event with several data lines,
/// or one split across reads, is assembled in the parser's own buffer.
/// </remarks>
public sealed class SseParser
{
    private readonly ArrayBufferWriter<byte> _data = new(256);
    private bool _hasData;
    // A data line not yet copied: where it lies in the buffer being parsed (-1: none).
    private int _lineStart = -1;
    private int _lineLength;

    /// <summary>
    /// Consumes whole lines from <paramref name="buffer"/>, calling <paramref name="onEvent"/> with
    /// each complete event's data. Returns how many bytes were consumed; the rest (a partial line)
    /// must be offered again, at the start of the next buffer, with more bytes.
    /// </summary>
    public int Parse(ReadOnlySpan<byte> buffer, SseEventHandler onEvent)
    {
        var consumed = 0;
        while (true)
        {
            var newline = buffer[consumed..].IndexOf((byte)'\n');
            if (newline < 0)
                break;
            ParseLine(buffer, consumed, newline, onEvent);
            consumed += newline + 1;
        }
        // The caller moves or reuses the buffer after this: keep what is still pending.
        CopyPendingLine(buffer);
        return consumed;
    }

    /// <summary>At the end of the stream: an event that was never closed by a blank line still counts.</summary>
    public void Complete(ReadOnlySpan<byte> rest, SseEventHandler onEvent)
    {
        if (!rest.IsEmpty)
            ParseLine(rest, 0, rest.Length, onEvent);
        Dispatch(rest, onEvent);
    }

    private void ParseLine(ReadOnlySpan<byte> buffer, int start, int length, SseEventHandler onEvent)
    {
        var span = buffer.Slice(start, length);
        if (span.Length > 0 && span[^1] == (byte)'\r')
            span = span[..^1];
        if (span.IsEmpty)
        {
            Dispatch(buffer, onEvent);
            return;
        }
        if (span[0] == (byte)':')
            return; // comment, e.g. a keep-alive
        var colon = span.IndexOf((byte)':');
        var field = colon < 0 ? span : span[..colon];
        if (!field.SequenceEqual("data"u8))
            return; // event:, id:, retry: carry nothing PerfCI needs
        var valueStart = colon < 0 ? span.Length : colon + 1;
        if (valueStart < span.Length && span[valueStart] == (byte)' ')
            valueStart++;
        if (!_hasData)
        {
            // The first data line of an event: remember where it is, copy nothing yet.
            _lineStart = start + valueStart;
            _lineLength = span.Length - valueStart;
            _hasData = true;
            return;
        }
        CopyPendingLine(buffer);
        _data.Write("\n"u8);
        _data.Write(span[valueStart..]);
    }

    private void CopyPendingLine(ReadOnlySpan<byte> buffer)
    {
        if (_lineStart < 0)
            return;
        _data.Write(buffer.Slice(_lineStart, _lineLength));
        _lineStart = -1;
    }

    private void Dispatch(ReadOnlySpan<byte> buffer, SseEventHandler onEvent)
    {
        if (!_hasData)
            return;
        _hasData = false;
        if (_lineStart >= 0)
        {
            var start = _lineStart;
            _lineStart = -1;
            onEvent(buffer.Slice(start, _lineLength));
            return;
        }
        onEvent(_data.WrittenSpan);
        _data.ResetWrittenCount();
    }
}
