using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PerfCI.Bench.Client;

/// <summary>
/// One plain-TCP HTTP/1.1 connection that sends a request and reads its streamed response into one
/// buffer, de-chunking the body in place. It is the streaming client's path for <c>http://</c>
/// servers: a token event costs one socket receive and its parse, with no stream layers, no async
/// method per read below the caller's own loop, no cancellation registration per read and no
/// allocation per read. HttpClient's response stream costs two more async continuations, a
/// cancellation registration and about 350 bytes of garbage per read, and on one core, where an
/// event's cost decides how long the others of its burst queue, that matters.
/// </summary>
/// <remarks>
/// <para>The buffer holds, in order: decoded body bytes not yet consumed (<see cref="Body"/>), then
/// received bytes not yet decoded. Decoding moves chunk data down over the chunk framing (a few
/// bytes per chunk), so the body is contiguous for the event parser.</para>
/// <para>What it understands of HTTP/1.1 responses: a status line and headers (1xx interim
/// responses skipped), bodies framed by chunked transfer coding (with extensions and trailers),
/// by Content-Length, or by the end of the connection; keep-alive and <c>Connection: close</c>.</para>
/// </remarks>
internal sealed class Http1Connection : IDisposable
{
    private const int MinimumRead = 4 * 1024;
    private const int MaxHeadBytes = 1024 * 1024;

    private readonly Socket _socket;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _bodyStart, _bodyEnd;   // decoded, unconsumed body bytes
    private int _rawStart, _rawEnd;     // received, not yet decoded bytes; _bodyEnd <= _rawStart
    private Framing _framing;
    private ChunkPart _chunkPart;
    private long _remaining;            // of the Content-Length body or of the current chunk
    private bool _keepAlive;

    private Http1Connection(Socket socket) => _socket = socket;

    private enum Framing { Chunked, Length, UntilClose }

    private enum ChunkPart { Size, Data, DataEnd, Trailer }

    /// <summary>Any byte of a response has arrived on this connection (a failure before that may be retried on a new one).</summary>
    public bool ReceivedAny { get; private set; }

    /// <summary>The response's body has ended as its framing says (not merely the connection).</summary>
    public bool BodyComplete { get; private set; }

    /// <summary>The connection has ended (a receive returned nothing).</summary>
    public bool AtEof { get; private set; }

    /// <summary>
    /// What was wrong with the body's chunk framing, if anything: decoding stops there, after the
    /// body bytes before it, which are still worth parsing.
    /// </summary>
    public string? FramingError { get; private set; }

    /// <summary>The connection ended before the body did (its framing said there was more).</summary>
    public bool Truncated => AtEof && !BodyComplete;

    /// <summary>The response is over, whole, and the connection may carry another request.</summary>
    public bool Reusable => BodyComplete && _keepAlive && !AtEof && _rawStart == _rawEnd;

    /// <summary>Decoded body bytes not yet consumed.</summary>
    public ReadOnlySpan<byte> Body => _buffer.AsSpan(_bodyStart, _bodyEnd - _bodyStart);

    /// <summary>Where a server's URI points: an address as it is, a host name to resolve.</summary>
    public static EndPoint EndPointOf(Uri server) =>
        IPAddress.TryParse(server.DnsSafeHost, out var address) ? new IPEndPoint(address, server.Port) : new DnsEndPoint(server.IdnHost, server.Port);

    public static async Task<Http1Connection> ConnectAsync(Uri server, CancellationToken cancellationToken)
    {
        // Dual mode, like SocketsHttpHandler: a host name may resolve to IPv4 or IPv6.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(EndPointOf(server), cancellationToken);
            return new Http1Connection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a request (its head, then its body when that was not already put after the head).</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> head, ReadOnlyMemory<byte> body)
    {
        ReceivedAny = false; // of this exchange's response
        await _socket.SendAsync(head, SocketFlags.None);
        if (!body.IsEmpty)
            await _socket.SendAsync(body, SocketFlags.None);
    }

    /// <summary>
    /// Reads until a final response's head is whole and returns its status; the bytes after it are
    /// the body's start (decoded by <see cref="Decode"/>).
    /// </summary>
    public async Task<int> ReadHeadAsync(CancellationToken cancellationToken)
    {
        ResetForResponse();
        while (true)
        {
            if (TryParseHead(out var status))
            {
                if (status is >= 100 and < 200 and not 101)
                {
                    ResetForResponse(); // an interim response (100 Continue, 103 Early Hints): the real one follows
                    continue;
                }
                return status;
            }
            if (_rawEnd - _rawStart > MaxHeadBytes)
                throw new IOException($"the response's head is over {MaxHeadBytes / 1024} KB");
            if (Received(await ReceiveAsync(cancellationToken)) == 0)
                throw new IOException(ReceivedAny ? "the connection closed in the middle of the response's head" : "the connection closed before any response");
        }
    }

    /// <summary>
    /// Receives more bytes after those already held; the caller passes the count to
    /// <see cref="Received"/>. This is the socket's own operation, with nothing wrapped around it:
    /// no async method of its own, and no cancellation token per read (a request's timeout or
    /// cancellation closes the socket, <see cref="Abort"/>, which ends a pending receive).
    /// </summary>
    public ValueTask<int> ReceiveAsync() => ReceiveAsync(CancellationToken.None);

    private ValueTask<int> ReceiveAsync(CancellationToken cancellationToken)
    {
        if (_buffer.Length - _rawEnd < MinimumRead)
            MakeRoom();
        return _socket.ReceiveAsync(_buffer.AsMemory(_rawEnd), SocketFlags.None, cancellationToken);
    }

    /// <summary>Takes in the bytes a <see cref="ReceiveAsync()"/> brought (0: the connection ended).</summary>
    public int Received(int count)
    {
        if (count == 0)
            AtEof = true;
        else
            ReceivedAny = true;
        _rawEnd += count;
        return count;
    }

    /// <summary>Decodes what has been received into <see cref="Body"/>, as far as it goes.</summary>
    public void Decode()
    {
        switch (_framing)
        {
            case Framing.UntilClose:
                _bodyEnd = _rawStart = _rawEnd;
                if (AtEof)
                    BodyComplete = true;
                break;
            case Framing.Length:
                var take = (int)Math.Min(_remaining, _rawEnd - _rawStart);
                _rawStart += take;
                _bodyEnd = _rawStart;
                _remaining -= take;
                if (_remaining == 0)
                    BodyComplete = true;
                break;
            default:
                DecodeChunks();
                break;
        }
    }

    /// <summary>The event parser has used <paramref name="count"/> bytes of <see cref="Body"/>.</summary>
    public void Consume(int count)
    {
        _bodyStart += count;
        if (_bodyStart == _bodyEnd && _rawStart == _rawEnd)
            _bodyStart = _bodyEnd = _rawStart = _rawEnd = 0;
    }

    /// <summary>Reads the rest of the body as text (an error response's), keeping the first <paramref name="limit"/> bytes.</summary>
    public async Task<string> ReadBodyTextAsync(int limit, CancellationToken cancellationToken)
    {
        var text = new ArrayBufferWriter<byte>();
        while (true)
        {
            Decode();
            var body = Body;
            if (text.WrittenCount < limit)
                text.Write(body[..Math.Min(body.Length, limit - text.WrittenCount)]);
            Consume(body.Length);
            if (BodyComplete || AtEof || FramingError is not null)
                break; // when cut short, what came is still worth showing
            Received(await ReceiveAsync(cancellationToken));
        }
        return Encoding.UTF8.GetString(text.WrittenSpan);
    }

    /// <summary>Closes the socket: a pending send or receive ends at once with an error.</summary>
    public void Abort() => _socket.Dispose();

    public void Dispose()
    {
        _socket.Dispose();
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    private void ResetForResponse()
    {
        BodyComplete = false;
        FramingError = null;
        _framing = Framing.UntilClose;
        _chunkPart = ChunkPart.Size;
        _remaining = 0;
        _keepAlive = false;
        _bodyStart = _bodyEnd = _rawStart;
    }

    /// <summary>Moves what is held to the buffer's front, growing it when that is not enough room for another read.</summary>
    private void MakeRoom()
    {
        var body = _bodyEnd - _bodyStart;
        var raw = _rawEnd - _rawStart;
        var target = body + raw + MinimumRead > _buffer.Length ? ArrayPool<byte>.Shared.Rent(_buffer.Length * 2) : _buffer;
        _buffer.AsSpan(_bodyStart, body).CopyTo(target);
        _buffer.AsSpan(_rawStart, raw).CopyTo(target.AsSpan(body));
        if (target != _buffer)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = target;
        }
        _bodyStart = 0;
        _bodyEnd = body;
        _rawStart = body;
        _rawEnd = body + raw;
    }

    private bool TryParseHead(out int status)
    {
        status = 0;
        var raw = _buffer.AsSpan(_rawStart, _rawEnd - _rawStart);
        var headLength = HeadLength(raw);
        if (headLength < 0)
            return false;
        var head = raw[..headLength];
        _rawStart += headLength;
        _bodyStart = _bodyEnd = _rawStart;

        var lineEnd = head.IndexOf((byte)'\n');
        var statusLine = TrimCr(head[..lineEnd]);
        // "HTTP/1.1 200 OK"
        if (statusLine.Length < 12 || !statusLine.StartsWith("HTTP/1."u8) || statusLine[8] != (byte)' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out status, out var digits) || digits != 3)
            throw new IOException($"not an HTTP/1.x status line: {Encoding.ASCII.GetString(statusLine)}");
        var http10 = statusLine[7] == (byte)'0';
        _keepAlive = !http10;
        long? contentLength = null;
        var chunked = false;
        var rest = head[(lineEnd + 1)..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = TrimCr(end < 0 ? rest : rest[..end]);
            rest = end < 0 ? [] : rest[(end + 1)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
                continue;
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim((byte)' ');
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || length < 0)
                    throw new IOException($"invalid Content-Length: {Encoding.ASCII.GetString(value)}");
                contentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                // Chunked is the last coding when present (RFC 9112, 6.1).
                chunked = EndsWithToken(value, "chunked"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "connection"u8))
            {
                if (ContainsToken(value, "close"u8))
                    _keepAlive = false;
                else if (http10 && ContainsToken(value, "keep-alive"u8))
                    _keepAlive = true;
            }
        }

        if (status is 204 or 304 || status is >= 100 and < 200)
        {
            _framing = Framing.Length;
            _remaining = 0;
            BodyComplete = true;
        }
        else if (chunked)
        {
            _framing = Framing.Chunked;
        }
        else if (contentLength is { } length)
        {
            _framing = Framing.Length;
            _remaining = length;
            BodyComplete = length == 0;
        }
        else
        {
            _framing = Framing.UntilClose;
            _keepAlive = false;
        }
        return true;
    }

    /// <summary>Length of the head up to and including its empty line, or -1 while it is not whole.</summary>
    private static int HeadLength(ReadOnlySpan<byte> raw)
    {
        var at = 0;
        while (true)
        {
            var newline = raw[at..].IndexOf((byte)'\n');
            if (newline < 0)
                return -1;
            var line = raw.Slice(at, newline);
            at += newline + 1;
            if (line.IsEmpty || line is [(byte)'\r'])
                return at;
        }
    }

    private void DecodeChunks()
    {
        while (_rawStart < _rawEnd && !BodyComplete && FramingError is null)
        {
            var raw = _buffer.AsSpan(_rawStart, _rawEnd - _rawStart);
            if (_chunkPart == ChunkPart.Data)
            {
                var take = (int)Math.Min(_remaining, raw.Length);
                if (_bodyEnd != _rawStart)
                    raw[..take].CopyTo(_buffer.AsSpan(_bodyEnd)); // over the framing: the regions may overlap, CopyTo allows it
                _bodyEnd += take;
                _rawStart += take;
                _remaining -= take;
                if (_remaining == 0)
                    _chunkPart = ChunkPart.DataEnd;
                continue;
            }
            var newline = raw.IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (raw.Length > 8 * 1024)
                    FramingError = "a chunk's size line is over 8 KB";
                return;
            }
            var line = TrimCr(raw[..newline]);
            _rawStart += newline + 1;
            switch (_chunkPart)
            {
                case ChunkPart.Size:
                    if (ChunkSize(line) is not { } size)
                    {
                        FramingError = $"invalid chunk size: {Encoding.ASCII.GetString(line[..Math.Min(line.Length, 40)])}";
                        return;
                    }
                    _remaining = size;
                    _chunkPart = _remaining == 0 ? ChunkPart.Trailer : ChunkPart.Data;
                    break;
                case ChunkPart.DataEnd:
                    if (!line.IsEmpty)
                    {
                        FramingError = "a chunk's data is not followed by CRLF";
                        return;
                    }
                    _chunkPart = ChunkPart.Size;
                    break;
                case ChunkPart.Trailer:
                    if (line.IsEmpty)
                        BodyComplete = true; // trailer fields, if any, carry nothing PerfCI needs
                    break;
            }
        }
    }

    private static long? ChunkSize(ReadOnlySpan<byte> line)
    {
        var end = line.IndexOfAny((byte)';', (byte)' ', (byte)'\t');
        var digits = end < 0 ? line : line[..end];
        if (digits.IsEmpty || digits.Length > 15 || !Utf8Parser.TryParse(digits, out long size, out var used, 'X') || used != digits.Length)
            return null;
        return size;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) => line is [.., (byte)'\r'] ? line[..^1] : line;

    private static bool ContainsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim((byte)' '), token))
                return true;
        }
        return false;
    }

    private static bool EndsWithToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        var last = value.LastIndexOf((byte)',');
        return Ascii.EqualsIgnoreCase(value[(last + 1)..].Trim((byte)' '), token);
    }
}

/// <summary>Idle keep-alive connections to one server, for <see cref="OpenAiStreamingClient"/>'s plain-HTTP path.</summary>
internal sealed class Http1ConnectionPool(Uri server) : IDisposable
{
    private readonly ConcurrentStack<Http1Connection> _idle = new();
    private bool _disposed;

    /// <summary>An idle connection (<c>reused</c>: the server may have closed it meanwhile), or a new one.</summary>
    public async Task<(Http1Connection Connection, bool Reused)> RentAsync(bool fresh, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        if (!fresh && _idle.TryPop(out var idle))
            return (idle, true);
        return (await Http1Connection.ConnectAsync(server, cancellationToken), false);
    }

    public void Return(Http1Connection connection)
    {
        if (!connection.Reusable || Volatile.Read(ref _disposed))
        {
            connection.Dispose();
            return;
        }
        _idle.Push(connection);
        if (Volatile.Read(ref _disposed) && _idle.TryPop(out var late))
            late.Dispose();
    }

    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        while (_idle.TryPop(out var connection))
            connection.Dispose();
    }

    /// <summary>
    /// A POST request's head for a JSON body, in bytes, with a small body after it so that both go
    /// in one send (<paramref name="inlineBody"/> true); a large body is sent after the head, not copied.
    /// </summary>
    public static byte[] PostHead(Uri uri, IEnumerable<KeyValuePair<string, string>> headers, byte[] body, out bool inlineBody)
    {
        var builder = new StringBuilder(256);
        builder.Append(CultureInfo.InvariantCulture, $"POST {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\n");
        foreach (var (name, value) in headers)
            builder.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        builder.Append(CultureInfo.InvariantCulture, $"Content-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        var head = builder.ToString();
        inlineBody = body.Length <= 16 * 1024;
        var bytes = new byte[Encoding.ASCII.GetByteCount(head) + (inlineBody ? body.Length : 0)];
        var written = Encoding.ASCII.GetBytes(head, bytes);
        if (inlineBody)
            body.CopyTo(bytes, written);
        return bytes;
    }
}
