using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PerfCI.Bench.Simulator;

/// <summary>
/// An OpenAI-compatible server over <see cref="SimulatedEngine"/>: <c>/v1/completions</c> and
/// <c>/v1/chat/completions</c> (streaming and not), <c>/v1/models</c>, <c>/health</c>.
/// A token is a whitespace-separated word, so prompt lengths are exact.
/// </summary>
public static partial class SimulatorServer
{
    private static readonly byte[] DataPrefix = "data: "u8.ToArray();
    private static readonly byte[] EventEnd = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Request header asking for <c>perfci_ts</c> (Stopwatch ticks at write) on every token event.</summary>
    public const string StampHeader = "X-PerfCI-Stamp";

    public static WebApplication Build(EngineModel model, IPAddress address, int port, TruthLog? truth = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(address, port);
            kestrel.Limits.MaxConcurrentConnections = null;
            kestrel.Limits.MaxRequestBodySize = 256 * 1024 * 1024; // long contexts
        });
        // A flush is the send: the response's bytes go to the socket on the handler's own thread
        // instead of being queued for Kestrel's I/O threads. The handlers never block, and a token
        // event's stamp (below) is then taken microseconds before its send(2), not a queue earlier.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = true);
        builder.Services.AddSingleton(new SimulatedEngine(model));
        var app = builder.Build();
        var log = truth;
        var crash = new CrashSwitch(model.CrashAfterRequests);

        var startedAt = Stopwatch.GetTimestamp();
        app.MapGet("/health", () =>
            Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds >= model.StartupDelayMs
                ? Results.Text("ok")
                : Results.Text("starting", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = new[] { new { id = model.Model, @object = "model", owned_by = "perfci" } },
        }));
        app.MapPost("/v1/completions", (HttpContext context, SimulatedEngine engine) =>
        {
            crash.Count();
            return HandleAsync(context, engine, log, chat: false);
        });
        app.MapPost("/v1/chat/completions", (HttpContext context, SimulatedEngine engine) =>
        {
            crash.Count();
            return HandleAsync(context, engine, log, chat: true);
        });
        return app;
    }

    private static async Task HandleAsync(HttpContext context, SimulatedEngine engine, TruthLog? truth, bool chat)
    {
        var arrived = Stopwatch.GetTimestamp();
        CompletionRequest request;
        try
        {
            using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            request = CompletionRequest.Parse(body.RootElement, chat, engine.Model);
        }
        catch (JsonException e)
        {
            await WriteErrorAsync(context, $"The body is not valid JSON: {e.Message}", null);
            return;
        }
        catch (InvalidRequestException e)
        {
            await WriteErrorAsync(context, e.Message, e.Param);
            return;
        }

        var outputTokens = engine.Model.OutputTokensCap is { } cap ? Math.Min(cap, request.MaxTokens) : request.MaxTokens;
        var events = engine.Submit(request.PromptTokens, outputTokens, context.RequestAborted, arrived);
        var id = $"{(chat ? "chatcmpl" : "cmpl")}-{Guid.NewGuid():N}";
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        if (request.Stream)
            await StreamAsync(context, events, request, id, created, chat, engine.Model, truth?.Start(id, arrived));
        else
            await RespondWholeAsync(context, events, request, id, created, chat, engine.Model);
    }

    private static async Task StreamAsync(
        HttpContext context, System.Threading.Channels.ChannelReader<EngineEvent> events, CompletionRequest request,
        string responseId, long created, bool chat, EngineModel model, RequestTruth? truth)
    {
        // Encoded once per stream, not once per event.
        var id = JsonEncodedText.Encode(responseId);
        var modelName = JsonEncodedText.Encode(model.Model);
        var response = context.Response;
        // The ceiling benchmark asks for each event's send time on the machine-wide monotonic clock.
        var stampEvents = context.Request.Headers.ContainsKey(StampHeader);
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        var writer = response.BodyWriter;
        // One JSON writer for the whole stream, writing straight into the response: no buffer, no
        // allocation per event (the ceiling benchmark needs this server faster than the client).
        using var json = new Utf8JsonWriter(writer, new JsonWriterOptions { SkipValidation = true });
        var generated = 0;
        try
        {
            if (chat)
            {
                // Like vLLM and OpenAI: a role-only first chunk that carries no token.
                BeginEvent(writer, json);
                WriteChunk(json, id, created, modelName, chat, role: true, text: "", finish: null, completionTokens: null, promptTokens: 0);
                EndEvent(writer, json);
                await writer.FlushAsync(context.RequestAborted);
            }
            await foreach (var e in events.ReadAllAsync(context.RequestAborted))
            {
                if (e.Error is { } error)
                {
                    BeginEvent(writer, json);
                    json.WriteStartObject();
                    json.WriteStartObject("error"u8);
                    json.WriteString("message"u8, error);
                    json.WriteString("type"u8, "server_error");
                    json.WriteNumber("code"u8, 500);
                    json.WriteEndObject();
                    json.WriteEndObject();
                    EndEvent(writer, json);
                    await writer.FlushAsync(context.RequestAborted);
                    return; // no [DONE]: the stream ends on the error
                }
                var text = Tokens(generated, e.Tokens);
                generated += e.Tokens;
                int? usage = request.ContinuousUsage && !model.OmitUsage ? generated : null;
                // The stamp is the last thing taken before the event is serialised and (a lone event
                // being flushed at once, inline) sent: what separates it from send(2) is writing this
                // one chunk's JSON, never another stream's work.
                long? stamp = stampEvents ? Stopwatch.GetTimestamp() : null;
                BeginEvent(writer, json);
                WriteChunk(json, id, created, modelName, chat, role: false, text, e.Final ? "length" : null, usage, request.PromptTokens, stamp);
                EndEvent(writer, json);
                if (e.Final && request.IncludeUsage && !model.OmitUsage)
                {
                    BeginEvent(writer, json);
                    WriteUsageChunk(json, id, created, modelName, chat, request.PromptTokens, generated);
                    EndEvent(writer, json);
                }
                // Events that are already due go out in one write; a lone event is flushed at once.
                // The last one goes out with [DONE] and the end of the response, in one send.
                if (!e.Final && !events.TryPeek(out _))
                    await writer.FlushAsync(context.RequestAborted);
                truth?.Events.Add((Stopwatch.GetTimestamp(), e.Tokens));
            }
            writer.Write(Done); // sent, with the end of the response, when the handler returns
            if (truth is not null)
                truth.Ended = Stopwatch.GetTimestamp();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; the engine drops the sequence at its next step.
        }
    }

    private static async Task RespondWholeAsync(
        HttpContext context, System.Threading.Channels.ChannelReader<EngineEvent> events, CompletionRequest request,
        string id, long created, bool chat, EngineModel model)
    {
        var generated = 0;
        await foreach (var e in events.ReadAllAsync(context.RequestAborted))
        {
            if (e.Error is { } error)
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsJsonAsync(new { error = new { message = error, type = "server_error", code = 500 } });
                return;
            }
            generated += e.Tokens;
        }
        var text = Tokens(0, generated);
        object choice = chat
            ? new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "length" }
            : new { index = 0, text, finish_reason = "length" };
        await context.Response.WriteAsJsonAsync(new
        {
            id,
            @object = chat ? "chat.completion" : "text_completion",
            created,
            model = model.Model,
            choices = new[] { choice },
            usage = new { prompt_tokens = request.PromptTokens, completion_tokens = generated, total_tokens = request.PromptTokens + generated },
        });
    }

    private static void WriteChunk(
        Utf8JsonWriter json, JsonEncodedText id, long created, JsonEncodedText model, bool chat, bool role, string text, string? finish,
        int? completionTokens, int promptTokens, long? stamp = null)
    {
        WriteChunkHeader(json, id, created, model, chat);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
        if (chat)
        {
            json.WriteStartObject("delta"u8);
            if (role)
                json.WriteString("role"u8, "assistant"u8);
            json.WriteString("content"u8, text);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("text"u8, text);
        }
        if (finish is null)
            json.WriteNull("finish_reason"u8);
        else
            json.WriteString("finish_reason"u8, finish);
        json.WriteEndObject();
        json.WriteEndArray();
        if (stamp is { } ticks)
            json.WriteNumber("perfci_ts"u8, ticks);
        if (completionTokens is { } completion)
            WriteUsage(json, promptTokens, completion);
        json.WriteEndObject();
    }

    private static void WriteUsageChunk(Utf8JsonWriter json, JsonEncodedText id, long created, JsonEncodedText model, bool chat, int prompt, int completion)
    {
        WriteChunkHeader(json, id, created, model, chat);
        json.WriteStartArray("choices"u8);
        json.WriteEndArray();
        WriteUsage(json, prompt, completion);
        json.WriteEndObject();
    }

    private static void WriteChunkHeader(Utf8JsonWriter json, JsonEncodedText id, long created, JsonEncodedText model, bool chat)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, id);
        json.WriteString("object"u8, chat ? "chat.completion.chunk"u8 : "text_completion"u8);
        json.WriteNumber("created"u8, created);
        json.WriteString("model"u8, model);
    }

    private static void WriteUsage(Utf8JsonWriter json, int prompt, int completion)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("prompt_tokens"u8, prompt);
        json.WriteNumber("completion_tokens"u8, completion);
        json.WriteNumber("total_tokens"u8, prompt + completion);
        json.WriteEndObject();
    }

    private static void BeginEvent(System.IO.Pipelines.PipeWriter writer, Utf8JsonWriter json)
    {
        writer.Write(DataPrefix);
        json.Reset(writer);
    }

    private static void EndEvent(System.IO.Pipelines.PipeWriter writer, Utf8JsonWriter json)
    {
        json.Flush();
        writer.Write(EventEnd);
    }

    private static readonly string[] OneToken = [.. Enumerable.Range(0, 10).Select(i => $" t{i}")];

    private static string Tokens(int start, int count)
    {
        if (count == 1)
            return OneToken[start % 10];
        var builder = new StringBuilder(count * 4);
        for (var i = 0; i < count; i++)
            builder.Append(" t").Append((start + i) % 10);
        return builder.ToString();
    }

    private static async Task WriteErrorAsync(HttpContext context, string message, string? param)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        await context.Response.WriteAsJsonAsync(new { error = new { message, type = "invalid_request_error", param, code = (string?)null } });
    }

    /// <summary>
    /// <see cref="EngineModel.CrashAfterRequests"/>: the request after the last one served ends the
    /// process at once, with no shutdown (no response, no flushed connections), the way an engine
    /// killed by a CUDA error or the OOM killer goes; its last words are on stderr, as theirs are.
    /// </summary>
    private sealed partial class CrashSwitch(int? after)
    {
        private int _requests;

        public void Count()
        {
            var request = Interlocked.Increment(ref _requests);
            if (after is not { } limit || request <= limit)
                return;
            Console.Error.WriteLine($"perfci-bench simulate: fatal: simulated crash on completion request {request} (crashAfterRequests: {limit})");
            Console.Error.Flush();
            Exit(1);
        }

        // _exit, not Environment.Exit: the host's shutdown handlers would run and set the exit code to 0.
        [LibraryImport("libc", EntryPoint = "_exit")]
        private static partial void Exit(int status);
    }
}
