using System.Net;
using System.Net.Sockets;
using System.Text;
using PerfCI.Bench.Client;
using PerfCI.Bench.Simulator;

namespace PerfCI.Bench.Tests.Client;

/// <summary>
/// The client's own HTTP/1.1 path (<see cref="Http1Connection"/>, used for plain-HTTP servers)
/// against a bare TCP server that sends exactly the bytes each test needs: chunk framing split
/// anywhere, kept-alive and closed connections, bodies cut short.
/// </summary>
public sealed class Http1TransportTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly byte[] Body = RequestBodies.Completion("m", "a", 3, true, false);

    private const string ChunkedHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

    private static string Token(string text, string? finish = null) =>
        $"data: {{\"choices\":[{{\"text\":\"{text}\",\"finish_reason\":{(finish is null ? "null" : $"\"{finish}\"")}}}]}}\n\n";

    private static string Chunk(string data) => $"{Encoding.UTF8.GetByteCount(data):x}\r\n{data}\r\n";

    [Fact]
    public void PlainHttp_UsesTheLeanPath_Https_HttpClient()
    {
        using var plain = new OpenAiStreamingClient(new Uri("http://127.0.0.1:1/"), TimeSpan.FromSeconds(1));
        using var tls = new OpenAiStreamingClient(new Uri("https://127.0.0.1:1/"), TimeSpan.FromSeconds(1));
        using var forced = new OpenAiStreamingClient(new Uri("http://127.0.0.1:1/"), TimeSpan.FromSeconds(1), transport: ClientTransport.HttpClient);

        Assert.Equal((ClientTransport.Http1, ClientTransport.HttpClient, ClientTransport.HttpClient), (plain.Transport, tls.Transport, forced.Transport));
        Assert.Throws<ArgumentException>(() => new OpenAiStreamingClient(new Uri("https://127.0.0.1:1/"), TimeSpan.FromSeconds(1), transport: ClientTransport.Http1));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8000/", "127.0.0.1", 8000)]
    [InlineData("http://[::1]:8001/v1/", "::1", 8001)]
    [InlineData("http://localhost/", "localhost", 80)]
    [InlineData("http://gpu-box.example:30000/", "gpu-box.example", 30000)]
    public void ServerUri_GivesTheEndPointToConnectTo(string uri, string host, int port)
    {
        var endPoint = Http1Connection.EndPointOf(new Uri(uri));

        Assert.Equal((host, port), endPoint switch
        {
            IPEndPoint ip => (ip.Address.ToString(), ip.Port),
            DnsEndPoint dns => (dns.Host, dns.Port),
            _ => throw new InvalidOperationException(endPoint.ToString()),
        });
        Assert.Equal(IPAddress.TryParse(host, out _), endPoint is IPEndPoint);
    }

    [Fact]
    public async Task ChunkedBody_SplitAnywhere_IsDecodedWhole()
    {
        // An interim 100 response first; then events that straddle chunks, a chunk extension, a
        // size line split between sends, and a trailer after the last chunk.
        var events = Token(" a") + Token(" b") + Token(" c", "length") + "data: [DONE]\n\n";
        var body = Chunk(events[..10]) + $"{Encoding.UTF8.GetByteCount(events[10..70]):X};name=value\r\n{events[10..70]}\r\n"
            + Chunk(events[70..]) + "0\r\nX-Trailer: 1\r\n\r\n";
        var response = "HTTP/1.1 100 Continue\r\n\r\n" + ChunkedHead + body;
        await using var server = new BareServer(async (socket, _) =>
        {
            var bytes = Encoding.UTF8.GetBytes(response);
            for (var at = 0; at < bytes.Length; at += 7)
            {
                await socket.SendAsync(bytes.AsMemory(at, Math.Min(7, bytes.Length - at)), Ct);
                await Task.Delay(1, Ct);
            }
        });
        using var client = new OpenAiStreamingClient(server.Url, TimeSpan.FromSeconds(30));

        var record = await client.SendAsync("v1/completions", Body, new RequestRecord(), MonotonicClock.Start(), Ct);

        Assert.Equal(RequestOutcome.Completed, record.Outcome);
        Assert.Equal(3, record.TokenEvents.Count);
        Assert.Equal("length", record.FinishReason);
        Assert.All(record.TokenEvents.Zip(record.TokenEvents.Skip(1)), pair => Assert.True(pair.Second.AtMs >= pair.First.AtMs));
    }

    [Fact]
    public async Task KeptAliveConnection_CarriesTheNextRequest()
    {
        await using var server = new BareServer(async (socket, _) =>
        {
            for (var i = 0; i < 3; i++)
            {
                if (i > 0)
                    await BareServer.ReadRequestAsync(socket); // the first was read before this was called
                await socket.SendAsync(Encoding.UTF8.GetBytes(ChunkedHead + Chunk(Token($" {i}", "length")) + Chunk("data: [DONE]\n\n") + "0\r\n\r\n"), Ct);
            }
        });
        using var client = new OpenAiStreamingClient(server.Url, TimeSpan.FromSeconds(30));

        var records = new List<RequestRecord>();
        for (var i = 0; i < 3; i++)
            records.Add(await client.SendAsync("v1/completions", Body, new RequestRecord(), MonotonicClock.Start(), Ct));

        Assert.All(records, r => Assert.Equal(RequestOutcome.Completed, r.Outcome));
        Assert.Equal(1, server.Accepted);
    }

    [Fact]
    public async Task ConnectionTheServerClosedWhileIdle_IsReplacedByANewOne()
    {
        // Every connection answers one request, says nothing of closing, then closes: the next
        // request finds its pooled connection dead and must go again on a new one.
        await using var server = new BareServer(async (socket, _) =>
            await socket.SendAsync(Encoding.UTF8.GetBytes(ChunkedHead + Chunk(Token(" x", "length")) + "0\r\n\r\n"), Ct));
        using var client = new OpenAiStreamingClient(server.Url, TimeSpan.FromSeconds(30));

        var first = await client.SendAsync("v1/completions", Body, new RequestRecord(), MonotonicClock.Start(), Ct);
        await server.WaitForClosedAsync(1);
        var second = await client.SendAsync("v1/completions", Body, new RequestRecord(), MonotonicClock.Start(), Ct);

        Assert.Equal((RequestOutcome.Completed, RequestOutcome.Completed), (first.Outcome, second.Outcome));
        Assert.Equal(2, server.Accepted);
    }

    [Fact]
    public async Task ChunkedStreamCutMidChunk_IsIncomplete_WithTheEventsBeforeTheCut()
    {
        await using var server = new BareServer(async (socket, _) =>
        {
            var cut = Chunk(Token(" a") + Token(" b")) + "a0\r\ndata: {\"choi"; // 160 bytes announced, 13 sent
            await socket.SendAsync(Encoding.UTF8.GetBytes(ChunkedHead + cut), Ct);
        });
        using var client = new OpenAiStreamingClient(server.Url, TimeSpan.FromSeconds(30));

        var record = await client.SendAsync("v1/completions", Body, new RequestRecord(), MonotonicClock.Start(), Ct);

        Assert.Equal(RequestOutcome.Incomplete, record.Outcome);
        Assert.Equal(2, record.TokenEvents.Count);
        Assert.StartsWith("connection lost: the response ended prematurely", record.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContentLengthBody_IsReadToItsLength()
    {
        var events = Token(" a") + Token(" b", "length") + "data: [DONE]\n\n";
        await using var server = new BareServer(async (socket, _) =>
            await socket.SendAsync(Encoding.UTF8.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {Encoding.UTF8.GetByteCount(events)}\r\n\r\n{events}"), Ct));
        using var client = new OpenAiStreamingClient(server.Url, TimeSpan.FromSeconds(30));

        var record = await client.SendAsync("v1/completions", Body, new RequestRecord(), MonotonicClock.Start(), Ct);

        Assert.Equal(RequestOutcome.Completed, record.Outcome);
        Assert.Equal(2, record.TokenEvents.Count);
    }

    [Fact]
    public async Task ErrorStatus_WithAChunkedBody_FailsWithTheBody()
    {
        await using var server = new BareServer(async (socket, _) =>
            await socket.SendAsync(Encoding.UTF8.GetBytes("HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"
                + Chunk("{\"error\":") + Chunk("\"overloaded\"}") + "0\r\n\r\n"), Ct));
        using var client = new OpenAiStreamingClient(server.Url, TimeSpan.FromSeconds(30));

        var record = await client.SendAsync("v1/completions", Body, new RequestRecord(), MonotonicClock.Start(), Ct);

        Assert.Equal((RequestOutcome.Failed, 503), (record.Outcome, record.HttpStatus));
        Assert.Equal("HTTP 503: {\"error\":\"overloaded\"}", record.FailureReason);
    }

    [Fact]
    public async Task StreamThatStalls_TimesOut_WithItsEventsSoFar()
    {
        await using var server = new BareServer(async (socket, stop) =>
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(ChunkedHead + Chunk(Token(" a"))), Ct);
            await Task.Delay(Timeout.Infinite, stop); // never another byte
        });
        using var client = new OpenAiStreamingClient(server.Url, TimeSpan.FromMilliseconds(500));

        var record = await client.SendAsync("v1/completions", Body, new RequestRecord(), MonotonicClock.Start(), Ct);

        Assert.Equal(RequestOutcome.Incomplete, record.Outcome);
        Assert.Single(record.TokenEvents);
        Assert.Equal("timed out after 0.5 s", record.FailureReason);
    }

    [Fact]
    public async Task CancelledMidStream_Throws_AndTheRecordKeepsItsEvents()
    {
        var firstEvent = new TaskCompletionSource();
        await using var server = new BareServer(async (socket, stop) =>
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(ChunkedHead + Chunk(Token(" a"))), Ct);
            firstEvent.SetResult();
            await Task.Delay(Timeout.Infinite, stop);
        });
        using var client = new OpenAiStreamingClient(server.Url, TimeSpan.FromSeconds(30));
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var record = new RequestRecord();

        var sending = client.SendAsync("v1/completions", Body, record, MonotonicClock.Start(), cancel.Token);
        await firstEvent.Task;
        await Task.Delay(100, Ct); // the event is read
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        Assert.Single(record.TokenEvents);
    }

    [Theory]
    [InlineData(ClientTransport.Http1)]
    [InlineData(ClientTransport.HttpClient)]
    public async Task BothTransports_ReadTheSimulatedEngineAlike(ClientTransport transport)
    {
        var (app, url) = await StreamingClientTests.StartEngineAsync(new EngineModel { DecodeMsPerStep = 2 });
        await using var _ = app;
        using var client = new OpenAiStreamingClient(url, TimeSpan.FromSeconds(30), askForEventStamps: true, transport: transport);

        var records = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            client.SendAsync("v1/completions", RequestBodies.Completion("m", "a b c", 20, true, continuousUsage: true), new RequestRecord(), MonotonicClock.Start(), Ct)));
        var again = await client.SendAsync("v1/chat/completions", RequestBodies.Chat("m", "a b", 5, true, false), new RequestRecord(), MonotonicClock.Start(), Ct);

        Assert.All(records, r =>
        {
            Assert.Equal(RequestOutcome.Completed, r.Outcome);
            Assert.Equal((20, 20, 3), (r.TokenEvents.Count, r.UsageCompletionTokens, r.UsagePromptTokens));
            Assert.Equal(20, r.ServerStamps?.Count);
            Assert.StartsWith("cmpl-", r.ResponseId, StringComparison.Ordinal);
        });
        Assert.Equal((RequestOutcome.Completed, 5, 5), (again.Outcome, again.TokenEvents.Count, again.UsageCompletionTokens));
    }

    /// <summary>
    /// A TCP server that reads each connection's first request whole, then hands the socket to
    /// <c>answer</c>, and closes it when that returns. It counts the connections it accepted.
    /// </summary>
    private sealed class BareServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        private readonly Task _accepting;
        private readonly List<Task> _connections = [];
        private int _accepted;
        private int _closed;

        public BareServer(Func<Socket, CancellationToken, Task> answer)
        {
            _listener.Start();
            Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _accepting = Task.Run(async () =>
            {
                while (!_stop.IsCancellationRequested)
                {
                    Socket socket;
                    try
                    {
                        socket = await _listener.AcceptSocketAsync(_stop.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                    Interlocked.Increment(ref _accepted);
                    lock (_connections)
                        _connections.Add(ServeAsync(socket, answer));
                }
            });
        }

        public Uri Url { get; }

        public int Accepted => Volatile.Read(ref _accepted);

        public async Task WaitForClosedAsync(int count)
        {
            while (Volatile.Read(ref _closed) < count)
                await Task.Delay(10, Ct);
        }

        private async Task ServeAsync(Socket socket, Func<Socket, CancellationToken, Task> answer)
        {
            using (socket)
            {
                try
                {
                    await ReadRequestAsync(socket);
                    await answer(socket, _stop.Token);
                    socket.Shutdown(SocketShutdown.Send);
                }
                catch (OperationCanceledException)
                {
                    // the test is over
                }
                catch (SocketException)
                {
                    // the client closed its side (a timeout, a cancellation)
                }
            }
            Interlocked.Increment(ref _closed);
        }

        /// <summary>Reads one HTTP request whole (head and Content-Length body).</summary>
        public static async Task ReadRequestAsync(Socket socket)
        {
            var received = new List<byte>();
            var buffer = new byte[8192];
            while (true)
            {
                var text = Encoding.ASCII.GetString([.. received]);
                var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (headEnd >= 0)
                {
                    var lengthLine = text[..headEnd].Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                    var length = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    if (received.Count >= headEnd + 4 + length)
                        return;
                }
                var n = await socket.ReceiveAsync(buffer, Ct);
                if (n == 0)
                    throw new SocketException((int)SocketError.ConnectionReset);
                received.AddRange(buffer.AsSpan(0, n));
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            Task[] connections;
            lock (_connections)
                connections = [.. _connections];
            await Task.WhenAll(connections);
            _stop.Dispose();
        }
    }
}
