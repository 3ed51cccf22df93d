using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using PerfCI.Bench.Simulator;

namespace PerfCI.Bench.Tests;

[Collection(TimingCollection.Name)]
[Trait("Category", TimingCollection.Category)]
public sealed class SimulatedEngineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stream_FollowsTheScriptedLatencies_AtConcurrencyOne()
    {
        var model = new EngineModel { PrefillOverheadMs = 6, PrefillMsPerToken = 0.01, DecodeMsPerStep = 8, DecodeMsPerSequence = 0.5 };
        await using var engine = await RunningEngine.StartAsync(model);
        await engine.StreamAsync(Prompt(10), maxTokens: 2); // JIT and connection set-up out of the way

        var streams = new List<StreamResult>();
        for (var i = 0; i < 5; i++)
            streams.Add(await engine.StreamAsync(Prompt(1000), maxTokens: 20));
        var stream = streams[^1];

        // Admitted alone: first token after one step with its prefill, then one step per token.
        var expectedTtft = 6 + 0.01 * 1000 + 8 + 0.5;
        var ttft = streams.Select(s => s.TokenTimesMs[0]).Order().ElementAt(2);
        var gaps = streams.SelectMany(s => s.TokenTimesMs.Zip(s.TokenTimesMs.Skip(1), (a, b) => b - a)).Order().ToList();
        Assert.Equal(20, stream.TokenTimesMs.Count);
        // The lower bound is the model's truth; above it only the transport's own overhead.
        Assert.InRange(ttft, expectedTtft - 0.5, expectedTtft + 10);
        Assert.InRange(gaps[gaps.Count / 2], 8.5 - 0.5, 8.5 + 0.5);
        Assert.Equal((1000, 20), (stream.PromptTokens, stream.CompletionTokens));
    }

    [Fact]
    public async Task Requests_BeyondTheBatchCapacity_WaitForASlot()
    {
        var model = new EngineModel { DecodeMsPerStep = 5, MaxBatch = 2 };
        await using var engine = await RunningEngine.StartAsync(model);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => engine.StreamAsync(Prompt(10), maxTokens: 1)));

        var streams = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => engine.StreamAsync(Prompt(10), maxTokens: 10)));

        // Two run at once; each of the other two gets its first token only after one of them ended.
        var byStart = streams.OrderBy(s => s.TokenTimesMs[0]).ToList();
        var report = string.Join("; ", byStart.Select(s => $"{s.TokenTimesMs[0]:F1}..{s.TokenTimesMs[^1]:F1}"));
        Assert.True(byStart[1].TokenTimesMs[0] < byStart[0].TokenTimesMs[^1], report);
        Assert.True(byStart[2].TokenTimesMs[0] >= byStart[0].TokenTimesMs[^1] - 1, report);
        Assert.True(byStart[3].TokenTimesMs[0] >= byStart[1].TokenTimesMs[^1] - 1, report);
    }

    [Fact]
    public async Task ChatStream_HasARoleOnlyFirstChunk_AUsageOnlyLastChunk_AndDone()
    {
        await using var engine = await RunningEngine.StartAsync(new EngineModel());

        var events = await engine.RawEventsAsync("/v1/chat/completions", new
        {
            model = "perfci-sim", max_tokens = 3, stream = true, stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = "one two three four" } },
        });

        Assert.Equal("[DONE]", events[^1]);
        using var first = JsonDocument.Parse(events[0]);
        var delta = first.RootElement.GetProperty("choices")[0].GetProperty("delta");
        Assert.Equal(("assistant", ""), (delta.GetProperty("role").GetString(), delta.GetProperty("content").GetString()));
        using var usage = JsonDocument.Parse(events[^2]);
        Assert.Equal(0, usage.RootElement.GetProperty("choices").GetArrayLength());
        Assert.Equal(4, usage.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(3, usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Stream_CarriesSeveralTokensPerEvent_WhenConfigured()
    {
        await using var engine = await RunningEngine.StartAsync(new EngineModel { TokensPerEvent = 4 });

        var events = await engine.RawEventsAsync("/v1/completions", new { prompt = "x", max_tokens = 10, stream = true });

        var texts = events.Where(e => e != "[DONE]")
            .Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!)
            .Select(t => t.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length)
            .ToList();
        Assert.Equal([4, 4, 2], texts);
    }

    [Fact]
    public async Task FailingRequest_EndsWithAnErrorEventInsideThe200Stream()
    {
        await using var engine = await RunningEngine.StartAsync(new EngineModel { FailureRate = 1 });

        var events = await engine.RawEventsAsync("/v1/completions", new { prompt = "x", max_tokens = 5, stream = true });

        Assert.DoesNotContain("[DONE]", events);
        using var last = JsonDocument.Parse(events[^1]);
        Assert.Equal("simulated engine failure", last.RootElement.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task OutputCap_TruncatesOutput_LikeAnEngineThatIgnoresIgnoreEos()
    {
        await using var engine = await RunningEngine.StartAsync(new EngineModel { OutputTokensCap = 7 });
        using var client = engine.Client();

        using var response = await client.PostAsJsonAsync("/v1/completions", new { prompt = "x", max_tokens = 50, ignore_eos = true }, Ct);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        Assert.Equal(7, body.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task BadRequest_Gets400_NamingTheParameter()
    {
        await using var engine = await RunningEngine.StartAsync(new EngineModel());
        using var client = engine.Client();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { max_tokens = 5, messages = Array.Empty<object>() }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("messages", body.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task Health_Answers503_UntilTheStartupDelayHasPassed()
    {
        await using var engine = await RunningEngine.StartAsync(new EngineModel { StartupDelayMs = 300 });
        using var client = engine.Client();

        using var early = await client.GetAsync("/health", Ct);
        await Task.Delay(400, Ct);
        using var late = await client.GetAsync("/health", Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
    }

    [Theory]
    [InlineData("{\"decodeMsPerStep\": -1}", "engine.json: decodeMsPerStep: must be a finite number >= 0, was -1")]
    [InlineData("{\n  \"maxBatch\": 0,\n  \"failureRate\": 2\n}", "engine.json: maxBatch: must be at least 1, was 0; failureRate: must be between 0 and 1, was 2")]
    [InlineData("{\n  \"decodeMsPerStep\": 1,\n  \"decodeMs\": 2\n}", "engine.json:3: decodeMs: unknown field")]
    [InlineData("{\n  \"maxBatch\": \"many\"\n}", "engine.json:2: maxBatch:")]
    [InlineData("{\"crashAfterRequests\": -1}", "engine.json: crashAfterRequests: must be at least 0 when set, was -1")]
    public void EngineModel_BadFile_NamesTheFileLineAndField(string json, string expected)
    {
        var error = Assert.Throws<EngineModelException>(() => EngineModel.Parse(json, "engine.json"));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    private static string Prompt(int tokens) => string.Join(' ', Enumerable.Repeat("w", tokens));

    private sealed record StreamResult(List<double> TokenTimesMs, int PromptTokens, int CompletionTokens);

    private sealed class RunningEngine : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly int _port;
        private readonly HttpClient _shared;

        private RunningEngine(WebApplication app, int port)
        {
            _app = app;
            _port = port;
            _shared = Client();
        }

        public static async Task<RunningEngine> StartAsync(EngineModel model)
        {
            var port = FreePort.Next();
            var app = SimulatorServer.Build(model, IPAddress.Loopback, port);
            await app.StartAsync(Ct);
            return new RunningEngine(app, port);
        }

        public HttpClient Client() => new() { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };

        /// <summary>Times each token event from the moment the request is sent.</summary>
        public async Task<StreamResult> StreamAsync(string prompt, int maxTokens)
        {
            var client = _shared;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
            {
                Content = JsonContent.Create(new { prompt, max_tokens = maxTokens, stream = true, stream_options = new { include_usage = true } }),
            };
            var started = Stopwatch.GetTimestamp();
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct), Encoding.UTF8);
            var times = new List<double>();
            int promptTokens = 0, completionTokens = 0;
            while (await reader.ReadLineAsync(Ct) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal) || line == "data: [DONE]")
                    continue;
                var at = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                using var json = JsonDocument.Parse(line[6..]);
                if (json.RootElement.TryGetProperty("usage", out var usage))
                {
                    promptTokens = usage.GetProperty("prompt_tokens").GetInt32();
                    completionTokens = usage.GetProperty("completion_tokens").GetInt32();
                }
                var choices = json.RootElement.GetProperty("choices");
                if (choices.GetArrayLength() > 0)
                {
                    var tokens = choices[0].GetProperty("text").GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
                    for (var i = 0; i < tokens; i++)
                        times.Add(at);
                }
            }
            return new StreamResult(times, promptTokens, completionTokens);
        }

        public async Task<List<string>> RawEventsAsync(string path, object body)
        {
            using var client = Client();
            using var response = await client.PostAsJsonAsync(path, body, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            return [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(e => e["data: ".Length..])];
        }

        public async ValueTask DisposeAsync()
        {
            _shared.Dispose();
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}
