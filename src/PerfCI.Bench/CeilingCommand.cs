using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using PerfCI.Bench.Client;
using PerfCI.Bench.Metrics;
using Spectre.Console;

namespace PerfCI.Bench;

/// <summary>
/// <c>perfci-bench ceiling</c>: how much the client itself can measure. The simulated engine with
/// zero latency runs pinned to one core, the client pinned to another, then wrk on the client's
/// core against the same server for comparison. Figures, not a test: run it on the machine you
/// care about.
/// </summary>
internal static partial class CeilingCommand
{
    private const double TargetRequestsPerSecond = 5_000;
    private const double TargetEventsPerSecond = 500_000;
    private const double TargetLagMs = 0.1;
    public const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static IEnumerable<Command> Create()
    {
        var seconds = new Option<int>("--seconds") { Description = "Length of each phase.", DefaultValueFactory = _ => 5 };
        var serverCore = new Option<int>("--server-core") { DefaultValueFactory = _ => 1 };
        var clientCore = new Option<int>("--client-core") { DefaultValueFactory = _ => 0 };
        var skipWrk = new Option<bool>("--skip-wrk") { Description = "Do not run wrk for comparison." };
        var ceiling = new Command("ceiling", "Measure the client's own ceiling against the zero-latency simulated engine (one core each), beside wrk.")
        {
            seconds, serverCore, clientCore, skipWrk,
        };
        ceiling.SetAction((parse, ct) => RunAsync(parse.GetValue(seconds), parse.GetValue(serverCore), parse.GetValue(clientCore), parse.GetValue(skipWrk), ct));

        var url = new Option<string>("--url") { Required = true };
        var phase = new Option<string>("--phase") { Required = true };
        var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 64 };
        var client = new Command("ceiling-client", "One phase of the ceiling benchmark (run by 'ceiling').") { url, phase, concurrency, seconds };
        client.Hidden = true;
        client.SetAction(async (parse, ct) =>
        {
            var figures = await MeasureAsync(new Uri(parse.GetValue(url)!), parse.GetValue(phase)!, parse.GetValue(concurrency), parse.GetValue(seconds), ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(JsonSerializer.Serialize(figures));
            return 0;
        });
        return [ceiling, client];
    }

    /// <summary>
    /// <see cref="ClientCpuSeconds"/> is the client's own processor time over the measured window:
    /// work divided by it is what one core sustains, however fast the server on the other core was.
    /// </summary>
    public sealed record Figures(string Phase, int Concurrency, double Seconds, long Requests, long Failed, long TokenEvents, double RequestsPerSecond, double EventsPerSecond, double? LagP50Ms, double? LagP99Ms, double? LagMeanMs, double ClientCpuSeconds)
    {
        public double RequestsPerCpuSecond => ClientCpuSeconds > 0 ? Requests / ClientCpuSeconds : 0;
        public double EventsPerCpuSecond => ClientCpuSeconds > 0 ? TokenEvents / ClientCpuSeconds : 0;
    }

    private static async Task<int> RunAsync(int seconds, int serverCore, int clientCore, bool skipWrk, CancellationToken ct)
    {
        var port = FreePort.Next();
        var pacedPort = FreePort.Next();
        var config = Path.Combine(Path.GetTempPath(), $"perfci-ceiling-{Environment.ProcessId}.json");
        var pacedConfig = Path.Combine(Path.GetTempPath(), $"perfci-ceiling-paced-{Environment.ProcessId}.json");
        await File.WriteAllTextAsync(config, """{ "maxBatch": 100000 }""", ct);
        // Added latency is measured below saturation: 256 streams of a token every 20 ms (12,800 events/s).
        await File.WriteAllTextAsync(pacedConfig, """{ "maxBatch": 100000, "decodeMsPerStep": 20 }""", ct);
        using var server = Start(serverCore, Self(["simulate", "--port", port.ToString(CultureInfo.InvariantCulture), "--config", config]));
        using var paced = Start(serverCore, Self(["simulate", "--port", pacedPort.ToString(CultureInfo.InvariantCulture), "--config", pacedConfig]));
        try
        {
            var url = $"http://127.0.0.1:{port}/";
            var pacedUrl = $"http://127.0.0.1:{pacedPort}/";
            await WaitForHealthAsync(new Uri(url + "health"), ct);
            await WaitForHealthAsync(new Uri(pacedUrl + "health"), ct);
            AnsiConsole.MarkupLine($"[grey]server pinned to core {serverCore}, client to core {clientCore}, {seconds} s per phase[/]");

            var requests = await RunClientAsync(clientCore, url, "requests", 64, seconds, ct);
            var events = await RunClientAsync(clientCore, url, "events", 256, seconds, ct);
            var latency = await RunClientAsync(clientCore, pacedUrl, "events", 256, seconds, ct);
            double? wrk = skipWrk ? null : await RunWrkAsync(clientCore, url, seconds, ct);

            var table = new Table().Border(TableBorder.Rounded).AddColumns("Figure", "Measured", "Target");
            table.AddRow("Short completions, 64 streams (req/s)", requests.RequestsPerSecond.ToString("N0", CultureInfo.InvariantCulture), "");
            table.AddRow("  per client CPU-second (one core's ceiling)", requests.RequestsPerCpuSecond.ToString("N0", CultureInfo.InvariantCulture), $">= {TargetRequestsPerSecond:N0}");
            if (wrk is { } wrkRate)
            {
                table.AddRow("wrk, same request, 64 connections (req/s)", wrkRate.ToString("N0", CultureInfo.InvariantCulture), "");
                table.AddRow("perfci-bench / wrk", (requests.RequestsPerSecond / wrkRate).ToString("0.00", CultureInfo.InvariantCulture), "");
            }
            table.AddRow("Token events, 256 streams (events/s)", events.EventsPerSecond.ToString("N0", CultureInfo.InvariantCulture), "");
            table.AddRow("  per client CPU-second (one core's ceiling)", events.EventsPerCpuSecond.ToString("N0", CultureInfo.InvariantCulture), $">= {TargetEventsPerSecond:N0}");
            table.AddRow("Added latency per event at that ceiling, p50 (ms)", Format(events.LagP50Ms), "");
            table.AddRow($"Added latency per event, 256 streams at {latency.EventsPerSecond:N0} events/s, p50 (ms)", Format(latency.LagP50Ms), $"< {TargetLagMs}");
            table.AddRow("  mean (ms)", Format(latency.LagMeanMs), $"< {TargetLagMs}");
            table.AddRow("  p99 (ms)", Format(latency.LagP99Ms), "");
            table.AddRow("Failed requests", (requests.Failed + events.Failed + latency.Failed).ToString(CultureInfo.InvariantCulture), "0");
            AnsiConsole.Write(table);
            return 0;
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            paced.Kill(entireProcessTree: true);
            File.Delete(config);
            File.Delete(pacedConfig);
        }
    }

    /// <summary>Sends for <paramref name="seconds"/> through the real client path and counts what came back.</summary>
    private static async Task<Figures> MeasureAsync(Uri url, string phase, int concurrency, int seconds, CancellationToken ct)
    {
        var events = phase == "events";
        using var client = new OpenAiStreamingClient(url, TimeSpan.FromSeconds(seconds + 30), askForEventStamps: events);
        var body = RequestBodies.Completion("perfci-sim", "a short prompt of eight words for you", events ? 1_000_000 : 1, exactLength: false, continuousUsage: false);
        var clock = MonotonicClock.Start();
        var warmupUntil = clock.NowMs + 1000;
        var until = warmupUntil + seconds * 1000.0;
        var cpuAtStart = TimeSpan.Zero;
        var cpuAtEnd = TimeSpan.Zero;
        // Processor time of this process over exactly the measured window.
        var cpuProbe = Task.Run(async () =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, warmupUntil - clock.NowMs)), ct);
            cpuAtStart = Process.GetCurrentProcess().TotalProcessorTime;
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, until - clock.NowMs)), ct);
            cpuAtEnd = Process.GetCurrentProcess().TotalProcessorTime;
        }, ct);
        long requests = 0, failed = 0, tokenEvents = 0;
        var lags = new ConcurrentBag<List<double>>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        async Task WorkerAsync()
        {
            while (clock.NowMs < until)
            {
                var record = new RequestRecord();
                using var cut = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                // A long stream is cut when the phase ends; its events up to then count.
                cut.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, until - clock.NowMs)));
                try
                {
                    await client.SendAsync("v1/completions", body, record, clock, cut.Token);
                }
                catch (OperationCanceledException)
                {
                    // The phase ended mid-stream.
                }
                var counted = record.TokenEvents.Count(e => e.AtMs >= warmupUntil && e.AtMs < until);
                Interlocked.Add(ref tokenEvents, counted);
                if (record.ClientLagMs is { } lag)
                    lags.Add([.. lag.Where((_, i) => record.TokenEvents[i].AtMs >= warmupUntil)]);
                if (record.SentMs >= warmupUntil && record.EndMs < until)
                {
                    Interlocked.Increment(ref requests);
                    if (record.Outcome != RequestOutcome.Completed)
                        Interlocked.Increment(ref failed);
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(WorkerAsync, ct)));
        await cpuProbe;
        var allLags = lags.SelectMany(l => l).ToList();
        var distribution = Distribution.Of(allLags);
        return new Figures(phase, concurrency, seconds, requests, failed, tokenEvents, requests / (double)seconds, tokenEvents / (double)seconds,
            distribution?.P50, distribution?.P99, distribution?.Mean, (cpuAtEnd - cpuAtStart).TotalSeconds);
    }

    private static async Task<Figures> RunClientAsync(int core, string url, string phase, int concurrency, int seconds, CancellationToken ct)
    {
        using var process = Start(core, client: true, command: Self(["ceiling-client", "--url", url, "--phase", phase, "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture), "--seconds", seconds.ToString(CultureInfo.InvariantCulture)]));
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return JsonSerializer.Deserialize<Figures>(output.Trim().Split('\n')[^1])
            ?? throw new InvalidOperationException($"ceiling-client printed nothing: {await process.StandardError.ReadToEndAsync(ct)}");
    }

    private static async Task<double?> RunWrkAsync(int core, string url, int seconds, CancellationToken ct)
    {
        var script = Path.Combine(Path.GetTempPath(), $"perfci-ceiling-{Environment.ProcessId}.lua");
        var body = RequestBodies.Describe(RequestBodies.Completion("perfci-sim", "a short prompt of eight words for you", 1, exactLength: false, continuousUsage: false));
        await File.WriteAllTextAsync(script, $"wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [[{body}]]\n", ct);
        try
        {
            using var wrk = Start(core, ("wrk", ["-t1", "-c64", $"-d{seconds}s", "-s", script, url + "v1/completions"]));
            var output = await wrk.StandardOutput.ReadToEndAsync(ct);
            await wrk.WaitForExitAsync(ct);
            return WrkRate().Match(output) is { Success: true } match ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            AnsiConsole.MarkupLine("[yellow]wrk is not installed (Debian: apt-get install wrk); no comparison.[/]");
            return null;
        }
        finally
        {
            File.Delete(script);
        }
    }

    [GeneratedRegex(@"Requests/sec:\s*([0-9.]+)")]
    private static partial Regex WrkRate();

    private static (string File, string[] Arguments) Self(string[] arguments)
    {
        var host = Environment.ProcessPath!;
        // Under 'dotnet perfci-bench.dll' the host is dotnet and the assembly comes first.
        return Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? (host, [Environment.GetCommandLineArgs()[0], .. arguments])
            : (host, arguments);
    }

    private static Process Start(int core, (string File, string[] Arguments) command, bool client = false)
    {
        var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Socket continuations run on the epoll thread instead of hopping to the thread pool: on one
        // core that hop is most of the cost of a streamed event. The runner's unit sets the same.
        if (client)
            start.Environment[InlineCompletions] = "1";
        foreach (var argument in new[] { "-c", core.ToString(CultureInfo.InvariantCulture), command.File }.Concat(command.Arguments))
            start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {command.File}");
    }

    private static async Task WaitForHealthAsync(Uri health, CancellationToken ct)
    {
        using var http = new HttpClient();
        for (var i = 0; i < 100; i++)
        {
            try
            {
                if ((await http.GetAsync(health, ct)).IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // still starting
            }
            await Task.Delay(100, ct);
        }
        throw new TimeoutException($"{health} did not answer");
    }

    private static string Format(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "n/a";
}
