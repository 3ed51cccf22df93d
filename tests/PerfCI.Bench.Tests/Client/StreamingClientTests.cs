using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using PerfCI.Bench.Client;
using PerfCI.Bench.Load;
using PerfCI.Bench.Metrics;
using PerfCI.Bench.Simulator;

namespace PerfCI.Bench.Tests.Client;

/// <summary>The client against real HTTP servers: the simulated engine, and a raw socket server for broken streams.</summary>
public sealed class StreamingClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static async Task<(WebApplication App, Uri Url)> StartEngineAsync(EngineModel model)
    {
        var port = FreePort.Next();
        var app = SimulatorServer.Build(model, IPAddress.Loopback, port);
        await app.StartAsync(Ct);
        return (app, new Uri($"http://127.0.0.1:{port}/"));
    }

    private static async Task<RequestRecord> SendOneAsync(Uri url, byte[] body, string path = "v1/completions")
    {
        using var client = new OpenAiStreamingClient(url, TimeSpan.FromSeconds(30));
        return await client.SendAsync(path, body, new RequestRecord { PromptTokensSent = 3, OutputTokensRequested = 8 }, MonotonicClock.Start(), Ct);
    }

    [Fact]
    public async Task ChatStream_RoleOnlyFirstChunk_IsNotTheFirstToken()
    {
        var (app, url) = await StartEngineAsync(new EngineModel { DecodeMsPerStep = 30 });
        await using var _ = app;

        var record = await SendOneAsync(url, RequestBodies.Chat("m", "a b c", 3, true, true), "v1/chat/completions");

        Assert.Equal(RequestOutcome.Completed, record.Outcome);
        Assert.Equal(5, record.DataEvents);                         // role-only, 3 tokens, usage-only ([DONE] is no data event)
        Assert.Equal(3, record.TokenEvents.Count);
        Assert.True(record.TokenEvents[0].AtMs - record.SentMs >= 29.5, $"TTFT {record.TokenEvents[0].AtMs - record.SentMs} ms counts the role chunk");
    }

    [Fact]
    public async Task UsageOnlyLastChunk_GivesTheTotals()
    {
        var (app, url) = await StartEngineAsync(new EngineModel());
        await using var _ = app;

        var record = await SendOneAsync(url, RequestBodies.Completion("m", "a b c", 8, true, continuousUsage: false));

        Assert.Equal((3, 8, 8), (record.UsagePromptTokens, record.UsageCompletionTokens, record.CountedTokens));
        Assert.Equal("length", record.FinishReason);
    }

    [Fact]
    public async Task MultiTokenChunks_AreExact_WithPerChunkUsage()
    {
        var (app, url) = await StartEngineAsync(new EngineModel { TokensPerEvent = 4, DecodeMsPerStep = 2 });
        await using var _ = app;

        var record = await SendOneAsync(url, RequestBodies.Completion("m", "a b c", 10, true, continuousUsage: true));
        var metrics = RequestMetrics.From(record)!;

        Assert.True(record.PerEventUsage);
        Assert.Equal([4, 4, 2], record.TokenEvents.Select(e => e.Tokens));
        Assert.Equal(6, metrics.ItlMs.Count);  // the tokens of the 2nd and 3rd events share their gaps; the first event's came with TTFT
        Assert.Equal(2, metrics.IclMs.Count);
    }

    [Fact]
    public async Task MultiTokenChunks_WithoutPerChunkUsage_AreFlagged()
    {
        var (app, url) = await StartEngineAsync(new EngineModel { TokensPerEvent = 4 });
        await using var _ = app;

        var record = await SendOneAsync(url, RequestBodies.Completion("m", "a b c", 10, true, continuousUsage: false));
        var trial = TrialMetrics.Compute([record], new Slo(), exactOutputLength: true);

        Assert.Equal((3, 10), (record.CountedTokens, record.OutputTokens));
        Assert.Contains(trial.Notes, n => n.StartsWith("the server's usage reports 10 output tokens but the stream carried 3 token events", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ErrorInsideA200Stream_FailsTheRequest()
    {
        var (app, url) = await StartEngineAsync(new EngineModel { FailureRate = 1 });
        await using var _ = app;

        var record = await SendOneAsync(url, RequestBodies.Completion("m", "a", 8, true, true));

        Assert.Equal(200, record.HttpStatus);
        Assert.Equal(RequestOutcome.Failed, record.Outcome);
        Assert.Equal("error event: simulated engine failure", record.FailureReason);
    }

    [Fact]
    public async Task MissingUsage_CountsTokenEvents_AndSaysSo()
    {
        var (app, url) = await StartEngineAsync(new EngineModel { OmitUsage = true });
        await using var _ = app;

        var record = await SendOneAsync(url, RequestBodies.Completion("m", "a b c", 8, true, true));
        var trial = TrialMetrics.Compute([record], new Slo(), exactOutputLength: true);

        Assert.Null(record.UsageCompletionTokens);
        Assert.Equal(8, record.OutputTokens);
        Assert.Contains(trial.Notes, n => n.StartsWith("1 of 1 requests had no usage from the server", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HttpError_FailsWithTheStatusAndBody()
    {
        var (app, url) = await StartEngineAsync(new EngineModel());
        await using var _ = app;

        var record = await SendOneAsync(url, Encoding.UTF8.GetBytes("{\"model\":\"m\"}"));

        Assert.Equal(RequestOutcome.Failed, record.Outcome);
        Assert.StartsWith("HTTP 400: {\"error\":{\"message\":\"prompt is required.\"", record.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TruncatedStream_IsIncomplete_NotCompleted()
    {
        var record = await SendToBareServerAsync(RequestBodies.Completion("m", "a", 8, true, true), async socket =>
        {
            const string response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                + "data: {\"choices\":[{\"text\":\" a\",\"finish_reason\":null}]}\n\n"
                + "data: {\"choices\":[{\"text\":\" b\",\"finish_reason\":null}]}\n\n"
                + "data: {\"choices\":[{\"text\":";
            await socket.SendAsync(Encoding.UTF8.GetBytes(response), Ct);
        });

        Assert.Equal(RequestOutcome.Incomplete, record.Outcome);
        Assert.Equal(2, record.TokenEvents.Count);
        Assert.NotNull(record.FailureReason);
    }

    [Fact]
    public async Task LongEventAndEventsSplitAcrossReads_AreParsedWhole()
    {
        var record = await SendToBareServerAsync(RequestBodies.Completion("m", "a", 2, true, false), async socket =>
        {
            // One event longer than the client's read buffer, then one whose closing blank line
            // comes in a later read: the client must grow its buffer and keep the pending line.
            var response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                + "data: {\"choices\":[{\"text\":\"" + new string('x', 300_000) + "\",\"finish_reason\":null}]}\n\n"
                + "data: {\"choices\":[{\"text\":\" b\",\"finish_reason\":\"length\"}]}\n";
            await socket.SendAsync(Encoding.UTF8.GetBytes(response), Ct);
            await Task.Delay(50, Ct);
            await socket.SendAsync("\ndata: [DONE]\n\n"u8.ToArray(), Ct);
        });

        Assert.Equal(RequestOutcome.Completed, record.Outcome);
        Assert.Equal(2, record.TokenEvents.Count);
        Assert.Equal(2, record.DataEvents);
        Assert.Equal("length", record.FinishReason);
    }

    /// <summary>
    /// Sends <paramref name="body"/> to a bare TCP server that reads the request whole, answers with
    /// whatever <paramref name="answer"/> sends (bytes no real server would), then closes its side.
    /// </summary>
    private static async Task<RequestRecord> SendToBareServerAsync(byte[] body, Func<Socket, Task> answer)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(async () =>
        {
            using var socket = await listener.AcceptSocketAsync(Ct);
            await ReadRequestAsync(socket);
            await answer(socket);
            socket.Shutdown(SocketShutdown.Send);
        }, Ct);

        var record = await SendOneAsync(new Uri($"http://127.0.0.1:{port}/"), body);
        await server;
        return record;
    }

    /// <summary>Reads one HTTP request whole, so that closing the socket does not reset the connection.</summary>
    private static async Task ReadRequestAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[8192];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, Ct);
            received.AddRange(buffer.AsSpan(0, n));
            var text = Encoding.ASCII.GetString([.. received]);
            var headerEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headerEnd < 0 || n == 0)
                continue;
            var lengthLine = text[..headerEnd].Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            if (received.Count >= headerEnd + 4 + int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture))
                return;
        }
    }
}
