using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace PerfCI.Bench.Client;

/// <summary>How <see cref="OpenAiStreamingClient"/> talks HTTP.</summary>
public enum ClientTransport
{
    /// <summary><see cref="Http1"/> for <c>http://</c> servers, <see cref="HttpClient"/> for the others (<c>https://</c>).</summary>
    Auto,
    /// <summary>The client's own HTTP/1.1 path (<see cref="Http1Connection"/>): plain HTTP only.</summary>
    Http1,
    /// <summary>HttpClient (SocketsHttpHandler) whatever the scheme.</summary>
    HttpClient,
}

/// <summary>
/// Streams completions from an OpenAI-compatible server and records each request's events.
/// The connection pool has no cap below the concurrency asked for, and responses are read
/// into one buffer with no line-length limit. Plain-HTTP servers are read through
/// <see cref="Http1Connection"/> (a socket receive and a parse per event); HTTPS through HttpClient.
/// </summary>
public sealed class OpenAiStreamingClient : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient? _http;
    private readonly Http1ConnectionPool? _pool;
    private readonly Uri _baseAddress;
    // Every request's headers but its body's (Content-Type, Content-Length), for either transport.
    private readonly List<KeyValuePair<string, string>> _headers = [new("Accept", "text/event-stream")];
    // Each path's absolute URI, built once: a relative one is combined with the base and parsed again on every request.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Uri> _uris = new();

    public OpenAiStreamingClient(Uri baseAddress, TimeSpan requestTimeout, string? apiKey = null, bool askForEventStamps = false, ClientTransport transport = ClientTransport.Auto)
    {
        _baseAddress = baseAddress;
        RequestTimeout = requestTimeout;
        if (askForEventStamps)
            _headers.Add(new(Simulator.SimulatorServer.StampHeader, "1"));
        if (!string.IsNullOrEmpty(apiKey))
            _headers.Add(new("Authorization", $"Bearer {apiKey}"));
        if (transport == ClientTransport.Http1 && baseAddress.Scheme != Uri.UriSchemeHttp)
            throw new ArgumentException($"the client's own HTTP/1.1 path speaks plain HTTP only, not {baseAddress.Scheme}", nameof(transport));
        if (transport == ClientTransport.Http1 || transport == ClientTransport.Auto && baseAddress.Scheme == Uri.UriSchemeHttp)
        {
            _pool = new Http1ConnectionPool(baseAddress);
            return;
        }
        var handler = new SocketsHttpHandler
        {
            // .NET's default is already unlimited; said out loud because Python clients cap at 100.
            MaxConnectionsPerServer = int.MaxValue,
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
        };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        foreach (var (name, value) in _headers)
            _http.DefaultRequestHeaders.Add(name, value);
    }

    public TimeSpan RequestTimeout { get; }

    /// <summary>Which transport this client uses for its server.</summary>
    public ClientTransport Transport => _pool is null ? ClientTransport.HttpClient : ClientTransport.Http1;

    /// <summary>Sends one request (already serialised) and reads its stream to the end.</summary>
    public Task<RequestRecord> SendAsync(string path, byte[] body, RequestRecord record, MonotonicClock clock, CancellationToken cancellationToken) =>
        _pool is { } pool
            ? SendHttp1Async(pool, path, body, record, clock, cancellationToken)
            : SendHttpClientAsync(_http!, path, body, record, clock, cancellationToken);

    private async Task<RequestRecord> SendHttp1Async(Http1ConnectionPool pool, string path, byte[] body, RequestRecord record, MonotonicClock clock, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        var uri = _uris.GetOrAdd(path, static (relative, baseAddress) => new Uri(baseAddress, relative), _baseAddress);
        var head = Http1ConnectionPool.PostHead(uri, _headers, body, out var bodyInHead);
        var state = new StreamState(record, clock);
        record.SentMs = clock.NowMs;
        Http1Connection? connection = null;
        // The request's timeout or cancellation closes its connection: a pending receive ends at
        // once, and no read pays for a cancellation registration of its own.
        CancellationTokenRegistration abort = default;
        var answered = false;
        try
        {
            int status;
            for (var attempt = 0; ; attempt++)
            {
                var (rented, reused) = await pool.RentAsync(fresh: attempt > 0, timeout.Token);
                connection = rented;
                abort = timeout.Token.UnsafeRegister(static c => ((Http1Connection)c!).Abort(), connection);
                try
                {
                    await connection.SendAsync(head, bodyInHead ? ReadOnlyMemory<byte>.Empty : body);
                    status = await connection.ReadHeadAsync(CancellationToken.None);
                    break;
                }
                catch (Exception e) when (reused && !connection.ReceivedAny && !timeout.IsCancellationRequested && e is SocketException or IOException)
                {
                    // The server had closed this idle connection: once more, on a new one.
                    await abort.DisposeAsync();
                    connection.Dispose();
                    connection = null;
                }
            }
            answered = true;
            record.HeadersMs = clock.NowMs;
            record.HttpStatus = status;
            if (status is < 200 or > 299)
            {
                var text = await connection.ReadBodyTextAsync(4096, CancellationToken.None);
                return Fail(record, clock, $"HTTP {status}: {Shorten(text)}");
            }
            await ReadEventsAsync(connection, state, record.HeadersMs.Value, clock);
            return state.Finish(clock.NowMs);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            if (cancellationToken.IsCancellationRequested)
                throw new OperationCanceledException("the request was cancelled", e, cancellationToken);
            if (timeout.IsCancellationRequested)
                return state.Broken(clock.NowMs, $"timed out after {RequestTimeout.TotalSeconds:0.#} s");
            if (e is OperationCanceledException)
                throw;
            return state.Broken(clock.NowMs, answered ? $"connection lost: {e.Message}" : $"connection: {e.Message}");
        }
        finally
        {
            await abort.DisposeAsync();
            if (connection is not null)
                pool.Return(connection); // kept for the next request only when its response ended whole
        }
    }

    /// <summary>
    /// Parses events out of the connection's body as they arrive: one socket receive per read and
    /// nothing around it. Events that came with the head are timed when the head arrived.
    /// </summary>
    private static async Task ReadEventsAsync(Http1Connection connection, StreamState state, double headAtMs, MonotonicClock clock)
    {
        var parser = new SseParser();
        state.At = headAtMs;
        state.FirstOfRead = true;
        while (true)
        {
            connection.Decode();
            connection.Consume(parser.Parse(connection.Body, state.OnEvent));
            if (connection.BodyComplete)
            {
                state.AtEnd = true;
                parser.Complete(connection.Body, state.OnEvent);
                connection.Consume(connection.Body.Length);
                return;
            }
            if (connection.FramingError is { } error)
                throw new IOException($"the response's chunk framing is broken: {error}");
            if (connection.Truncated)
                throw new IOException("the response ended prematurely: the connection closed before the end of the body");
            var read = await connection.ReceiveAsync();
            state.At = clock.NowMs; // every event in this read arrived together
            state.FirstOfRead = true;
            connection.Received(read);
        }
    }

    private async Task<RequestRecord> SendHttpClientAsync(HttpClient http, string path, byte[] body, RequestRecord record, MonotonicClock clock, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        var uri = _uris.GetOrAdd(path, static (relative, baseAddress) => new Uri(baseAddress, relative), _baseAddress);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = Json;
        var state = new StreamState(record, clock);
        record.SentMs = clock.NowMs;
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            record.HeadersMs = clock.NowMs;
            record.HttpStatus = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(timeout.Token);
                return Fail(record, clock, $"HTTP {(int)response.StatusCode}: {Shorten(text)}");
            }
            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            await ReadEventsAsync(stream, state, clock, timeout.Token);
            return state.Finish(clock.NowMs);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return state.Broken(clock.NowMs, $"timed out after {RequestTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return state.Broken(clock.NowMs, $"connection: {e.Message}");
        }
        catch (IOException e)
        {
            return state.Broken(clock.NowMs, $"connection lost: {e.Message}");
        }
    }

    /// <summary>
    /// Reads the stream into one buffer and parses events out of it where they lie: no pipe, no
    /// copy of an event. The buffer grows when one line outgrows it (no line-length limit).
    /// </summary>
    private static async Task ReadEventsAsync(Stream stream, StreamState state, MonotonicClock clock, CancellationToken cancellationToken)
    {
        const int MinimumRead = 4 * 1024;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        int start = 0, end = 0;
        var parser = new SseParser();
        try
        {
            while (true)
            {
                if (buffer.Length - end < MinimumRead)
                {
                    // Keep only the unparsed tail (a partial line), at the front; grow if it fills the buffer.
                    var pending = end - start;
                    var target = pending + MinimumRead > buffer.Length ? ArrayPool<byte>.Shared.Rent(buffer.Length * 2) : buffer;
                    buffer.AsSpan(start, pending).CopyTo(target);
                    if (target != buffer)
                        ArrayPool<byte>.Shared.Return(buffer);
                    buffer = target;
                    start = 0;
                    end = pending;
                }
                var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken);
                state.At = clock.NowMs; // every event in this read arrived together
                state.FirstOfRead = true;
                if (read == 0)
                {
                    state.AtEnd = true;
                    parser.Complete(buffer.AsSpan(start, end - start), state.OnEvent);
                    return;
                }
                end += read;
                start += parser.Parse(buffer.AsSpan(start, end - start), state.OnEvent);
                if (start == end)
                    start = end = 0;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static RequestRecord Fail(RequestRecord record, MonotonicClock clock, string reason)
    {
        record.EndMs = clock.NowMs;
        record.Outcome = RequestOutcome.Failed;
        record.FailureReason = reason;
        return record;
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";

    public void Dispose()
    {
        _http?.Dispose();
        _pool?.Dispose();
    }

    /// <summary>Turns the events of one stream into the request's record.</summary>
    private sealed class StreamState
    {
        private readonly RequestRecord _record;
        private int _lastCumulative;
        private bool _done;
        private double _doneAt;

        public StreamState(RequestRecord record, MonotonicClock clock)
        {
            _record = record;
            Clock = clock;
            OnEvent = Handle;
        }

        private MonotonicClock Clock { get; }

        public double At { get; set; }

        /// <summary>The stream has ended: an event left unterminated is a cut-off one, not a malformed one.</summary>
        public bool AtEnd { get; set; }

        /// <summary>The next token event is the first of its read: it waited behind no other event of this stream.</summary>
        public bool FirstOfRead { get; set; }

        public SseEventHandler OnEvent { get; }

        private void Handle(ReadOnlySpan<byte> span)
        {
            if (_record.Outcome == RequestOutcome.Failed)
                return;
            if (span.SequenceEqual("[DONE]"u8))
            {
                _done = true;
                _doneAt = At;
                return;
            }
            _record.DataEvents++;
            Chunk chunk;
            try
            {
                chunk = ChunkParser.Parse(span, readId: _record.ResponseId is null);
                _record.ResponseId ??= chunk.Id;
            }
            catch (JsonException) when (AtEnd)
            {
                return; // cut off mid-event; Finish reports the truncation
            }
            catch (JsonException e)
            {
                _record.Outcome = RequestOutcome.Failed;
                _record.FailureReason = $"malformed chunk ({e.Message}): {ChunkParser.Describe(span)}";
                return;
            }
            if (chunk.Error is { } error)
            {
                _record.Outcome = RequestOutcome.Failed;
                _record.FailureReason = $"error event: {error}";
                return;
            }
            var tokens = 0;
            if (chunk.HasChoice && chunk.TextLength > 0)
            {
                if (chunk.CompletionTokens is { } cumulative)
                {
                    // Cumulative usage on every chunk: this event's tokens are exact.
                    _record.PerEventUsage = true;
                    tokens = Math.Max(0, cumulative - _lastCumulative);
                    _lastCumulative = cumulative;
                }
                else
                {
                    tokens = 1;
                }
            }
            if (tokens > 0)
            {
                _record.TokenEvents.Add(new TokenEvent(At, tokens));
                if (chunk.ServerTimestamp is { } written)
                    (_record.ServerStamps ??= []).Add(new ServerStamp(Clock.ToMs(written), FirstOfRead));
                FirstOfRead = false;
            }
            if (chunk.FinishReason is { } finish)
                _record.FinishReason = finish;
            if (chunk.PromptTokens is { } prompt)
                _record.UsagePromptTokens = prompt;
            if (chunk.CompletionTokens is { } completion)
                _record.UsageCompletionTokens = completion;
        }

        public RequestRecord Finish(double endMs)
        {
            // E2E ends with the end marker; the connection's own close comes a little later.
            _record.EndMs = _done ? _doneAt : endMs;
            if (_record.Outcome == RequestOutcome.Failed)
                return _record;
            if (_done || _record.FinishReason is not null)
            {
                _record.Outcome = RequestOutcome.Completed;
            }
            else
            {
                _record.Outcome = _record.TokenEvents.Count > 0 ? RequestOutcome.Incomplete : RequestOutcome.Failed;
                _record.FailureReason = "the stream ended before [DONE] or a finish reason (truncated)";
            }
            return _record;
        }

        public RequestRecord Broken(double endMs, string reason)
        {
            _record.EndMs = endMs;
            _record.Outcome = _record.TokenEvents.Count > 0 ? RequestOutcome.Incomplete : RequestOutcome.Failed;
            _record.FailureReason = reason;
            return _record;
        }
    }
}

/// <summary>Builds the JSON bodies PerfCI sends.</summary>
public static class RequestBodies
{
    public static byte[] Completion(string model, string prompt, int maxTokens, bool exactLength, bool continuousUsage) =>
        Build(model, maxTokens, exactLength, continuousUsage, json => json.WriteString("prompt", prompt));

    public static byte[] Chat(string model, string content, int maxTokens, bool exactLength, bool continuousUsage) =>
        Build(model, maxTokens, exactLength, continuousUsage, json =>
        {
            json.WriteStartArray("messages");
            json.WriteStartObject();
            json.WriteString("role", "user");
            json.WriteString("content", content);
            json.WriteEndObject();
            json.WriteEndArray();
        });

    private static byte[] Build(string model, int maxTokens, bool exactLength, bool continuousUsage, Action<Utf8JsonWriter> input)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model);
            input(json);
            json.WriteNumber("max_tokens", maxTokens);
            if (exactLength)
            {
                // vLLM and SGLang: generate exactly max_tokens; whether they did is checked afterwards.
                json.WriteBoolean("ignore_eos", true);
                json.WriteNumber("min_tokens", maxTokens);
            }
            json.WriteBoolean("stream", true);
            json.WriteStartObject("stream_options");
            json.WriteBoolean("include_usage", true);
            if (continuousUsage)
                json.WriteBoolean("continuous_usage_stats", true);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static string Describe(byte[] body) => Encoding.UTF8.GetString(body);
}
