using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using PerfCI.Bench.Client;
using PerfCI.Bench.Metrics;
using Spectre.Console;

namespace PerfCI.Bench;

/// <summary>
/// <c>perfci-bench ceiling</c>: how much the client itself can measure. The simulated engine with
/// zero latency runs pinned to one core, the client pinned to another, then wrk on the client's
/// core against the same server for comparison. Figures, not a test: run it on the machine you
/// care about, quiet.
/// </summary>
/// <remarks>
/// <para>Throughput: what the client did in the window divided by the processor time its process
/// used in the window (all its threads, user and system): what one core sustains at this
/// client's cost per request or event, whether or not the server kept the client's core busy.</para>
/// <para>Added latency per token event (the paced phase: 256 streams, a token per stream every
/// 20 ms, all 256 from one engine step): the server stamps each token event with the machine's
/// monotonic clock as the last thing before serialising that one event and flushing it, and a
/// lone event's flush is its send(2) on the handler's thread (Kestrel schedules inline). The client
/// records the event's time when the read that brought it returns, before parsing it. The lag is
/// the difference: one event's serialisation and send on the server (which on loopback includes
/// the delivery into the client's socket), the wake-up of the client's thread, the socket and
/// HTTP layers, and any wait behind other events the client was handling. See
/// <see cref="EventLag"/> for how that is split.</para>
/// </remarks>
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
        var httpClient = new Option<bool>("--http-client") { Description = "Read through HttpClient, as for an https:// server, instead of the client's own HTTP/1.1 path." };
        var ceiling = new Command("ceiling", "Measure the client's own ceiling against the zero-latency simulated engine (one core each), beside wrk.")
        {
            seconds, serverCore, clientCore, skipWrk, httpClient,
        };
        ceiling.SetAction((parse, ct) => RunAsync(
            seconds: parse.GetValue(seconds), serverCore: parse.GetValue(serverCore), clientCore: parse.GetValue(clientCore), skipWrk: parse.GetValue(skipWrk),
            transport: parse.GetValue(httpClient) ? ClientTransport.HttpClient : ClientTransport.Auto, ct));

        var url = new Option<string>("--url") { Required = true };
        var phase = new Option<string>("--phase") { Required = true };
        var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 64 };
        var transport = new Option<ClientTransport>("--transport") { DefaultValueFactory = _ => ClientTransport.Auto };
        var client = new Command("ceiling-client", "One phase of the ceiling benchmark (run by 'ceiling').") { url, phase, concurrency, seconds, transport };
        client.Hidden = true;
        client.SetAction(async (parse, ct) =>
        {
            var figures = await MeasureAsync(new Uri(parse.GetValue(url)!), parse.GetValue(phase)!, parse.GetValue(concurrency), parse.GetValue(seconds), parse.GetValue(transport), ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(JsonSerializer.Serialize(figures));
            return 0;
        });
        var port = new Option<int>("--port") { Required = true };
        var connections = new Option<int>("--connections") { DefaultValueFactory = _ => 256 };
        var stepMs = new Option<double>("--step-ms") { DefaultValueFactory = _ => 20 };
        var floorSend = new Command("ceiling-floor-send", "The sender of the ceiling benchmark's bare-socket floor (run by 'ceiling').") { port, connections, stepMs };
        floorSend.Hidden = true;
        floorSend.SetAction(parse => SocketFloor.Send(parse.GetValue(port), parse.GetValue(connections), parse.GetValue(stepMs), CancellationToken.None));
        return [ceiling, client, floorSend];
    }

    /// <summary>
    /// <see cref="ClientCpuSeconds"/> is the client's own processor time over the measured window:
    /// work divided by it is what one core sustains, however fast the server on the other core was.
    /// </summary>
    /// <see cref="AllocatedBytes"/> and <see cref="Gen0Collections"/> are the client process's, in the window.
    public sealed record Figures(
        string Phase, int Concurrency, double Seconds, long Requests, long Failed, long TokenEvents, double RequestsPerSecond, double EventsPerSecond,
        double ClientCpuSeconds, double WarmupSeconds, double JitMsInWindow, LagFigures? Lag, long AllocatedBytes, int Gen0Collections)
    {
        public double RequestsPerCpuSecond => ClientCpuSeconds > 0 ? Requests / ClientCpuSeconds : 0;
        public double EventsPerCpuSecond => ClientCpuSeconds > 0 ? TokenEvents / ClientCpuSeconds : 0;
        public double ClientCoreShare => Seconds > 0 ? ClientCpuSeconds / Seconds : 0;
    }

    /// <summary>What <see cref="EventLag"/> found, in milliseconds (see there for the definitions).</summary>
    public sealed record LagFigures(
        double P50, double P90, double P99, double Mean, double Max, int Events,
        double? FirstOfReadP50, double? LaterInReadP50, int LaterInRead,
        int Bursts, double? FirstOfBurstP50, double? FirstOfBurstMean, double? BurstSize, double? ServerSpanMs, double? ClientSpanMs)
    {
        public static LagFigures Of(EventLag lag) => new(
            lag.All.P50, lag.All.P90, lag.All.P99, lag.All.Mean, lag.All.Max, lag.All.Count,
            lag.FirstOfRead?.P50, lag.LaterInRead?.P50, lag.LaterInRead?.Count ?? 0,
            lag.Bursts, lag.FirstOfBurst?.P50, lag.FirstOfBurst?.Mean, lag.BurstSize, lag.ServerSpanMs, lag.ClientSpanMs);
    }

    private static async Task<int> RunAsync(int seconds, int serverCore, int clientCore, bool skipWrk, ClientTransport transport, CancellationToken ct)
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
            if (Console.IsOutputRedirected)
                AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160); // a log keeps the table's rows whole
            var through = transport == ClientTransport.HttpClient ? "HttpClient" : "the client's own HTTP/1.1 path";
            AnsiConsole.MarkupLine($"[grey]server pinned to core {serverCore}, client to core {clientCore}, {seconds} s per phase, reading through {through}; load average {LoadAverage()}[/]");

            var requests = await RunClientAsync(clientCore, url, "requests", 64, seconds, transport, ct);
            var wrk = skipWrk ? null : await RunWrkAsync(clientCore, url, seconds, ct);
            var events = await RunClientAsync(clientCore, url, "events", 256, seconds, transport, ct);
            var latency = await RunClientAsync(clientCore, pacedUrl, "events", 256, seconds, transport, ct);
            var floor = await RunFloorAsync(serverCore, clientCore, 256, seconds, ct);
            var single = await RunClientAsync(clientCore, pacedUrl, "events", 1, seconds, transport, ct);
            var singleFloor = await RunFloorAsync(serverCore, clientCore, 1, seconds, ct);

            string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
            string Share(Figures f) => $"client core {f.ClientCoreShare:P0} busy";
            var table = new Table().Border(TableBorder.Rounded).AddColumns("Figure", "Measured", "Target", "Notes");
            table.AddRow("Short completions, 64 streams (req/s)", N(requests.RequestsPerSecond), "", Share(requests));
            table.AddRow("  per client CPU-second (one core's ceiling)", N(requests.RequestsPerCpuSecond), $">= {TargetRequestsPerSecond:N0}", Met(requests.RequestsPerCpuSecond >= TargetRequestsPerSecond));
            if (wrk is { } w)
            {
                table.AddRow("wrk, same request, 64 connections (req/s)", N(w.RequestsPerSecond), "", $"wrk core {w.CpuSeconds / w.Seconds:P0} busy");
                table.AddRow("  per wrk CPU-second", N(w.RequestsPerCpuSecond), "", "");
                table.AddRow("perfci-bench / wrk, req/s", Ratio(requests.RequestsPerSecond, w.RequestsPerSecond), "", "same server, same core, same window length");
                table.AddRow("perfci-bench / wrk, req per CPU-second", Ratio(requests.RequestsPerCpuSecond, w.RequestsPerCpuSecond), "", "");
            }
            table.AddRow("Token events, 256 streams (events/s)", N(events.EventsPerSecond), "", Share(events));
            table.AddRow("  per client CPU-second (one core's ceiling)", N(events.EventsPerCpuSecond), $">= {TargetEventsPerSecond:N0}", Met(events.EventsPerCpuSecond >= TargetEventsPerSecond));
            if (latency.Lag is { } lag)
            {
                table.AddRow($"Added latency per token event, 256 streams, {N(latency.EventsPerSecond)} events/s: mean (ms)", Format(lag.Mean), $"< {TargetLagMs}", Met(lag.Mean < TargetLagMs));
                table.AddRow("  p50 / p90 / p99 (ms)", $"{Format(lag.P50)} / {Format(lag.P90)} / {Format(lag.P99)}", $"< {TargetLagMs}", $"{lag.Events:N0} events; p50 {Met(lag.P50 < TargetLagMs)}");
                table.AddRow("  first event of each burst, p50 / mean (ms)", $"{Format(lag.FirstOfBurstP50)} / {Format(lag.FirstOfBurstMean)}", "", "client idle: no queueing");
                table.AddRow("  burst: events / server sends them in / client has them in (ms)", $"{Format(lag.BurstSize, "0")} / {Format(lag.ServerSpanMs)} / {Format(lag.ClientSpanMs)}", "", $"{lag.Bursts} bursts");
                table.AddRow("  events that shared a read with an earlier one of their stream", N(lag.LaterInRead), "", lag.LaterInRead > 0 ? $"p50 {Format(lag.LaterInReadP50)} ms vs first of read {Format(lag.FirstOfReadP50)} ms" : "");
                table.AddRow("  client's allocations per event; gen-0 GCs in the window", $"{latency.AllocatedBytes / (double)Math.Max(1, latency.TokenEvents):0} B; {latency.Gen0Collections}", "", "a GC pauses the client mid-burst");
            }
            if (floor.Lag is { } bare)
            {
                table.AddRow("Bare sockets, 256 x a message every 20 ms (no HTTP, no parsing): mean (ms)", Format(bare.Mean), "", "sent faster than Kestrel sends: see the burst");
                table.AddRow("  p50 / p90 / p99 (ms)", $"{Format(bare.P50)} / {Format(bare.P90)} / {Format(bare.P99)}", "", "");
                table.AddRow("  first of each burst, p50 (ms); burst sent in / received in (ms)", $"{Format(bare.FirstOfBurstP50)}; {Format(bare.ServerSpanMs)} / {Format(bare.ClientSpanMs)}", "", "first: the machine's wake-up floor");
            }
            if (single.Lag is { } one && singleFloor.Lag is { } oneBare)
                table.AddRow("One stream, a token every 20 ms: client / bare socket, p50 (ms)", $"{Format(one.P50)} / {Format(oneBare.P50)}", "", "nothing to queue behind: wake-up and path only");
            table.AddRow("Warm-up before each window (s), JIT time inside the windows (ms)",
                string.Join(" / ", new[] { requests, events, latency, floor, single, singleFloor }.Select(f => f.WarmupSeconds.ToString("0.0", CultureInfo.InvariantCulture)))
                + $", {new[] { requests, events, latency, floor, single, singleFloor }.Sum(f => f.JitMsInWindow):0}", "", "");
            table.AddRow("Failed requests", (requests.Failed + events.Failed + latency.Failed + single.Failed).ToString(CultureInfo.InvariantCulture), "0", "");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"[grey]load average {LoadAverage()}[/]");
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

    /// <summary>
    /// Sends through the real client path until the process is warm, then for <paramref name="seconds"/>,
    /// and counts what came back in that window.
    /// </summary>
    /// <remarks>
    /// Warm means the JIT has compiled nothing new for a second (at least <see cref="MinWarmup"/>,
    /// at most <see cref="MaxWarmup"/>): tiered compilation recompiles hot methods in the background
    /// for seconds after start, on the same core, and a window that catches it measures the JIT, not
    /// the client. The JIT time left inside the window is reported.
    /// </remarks>
    private static async Task<Figures> MeasureAsync(Uri url, string phase, int concurrency, int seconds, ClientTransport transport, CancellationToken ct)
    {
        var events = phase == "events";
        using var client = new OpenAiStreamingClient(url, TimeSpan.FromSeconds(seconds + MaxWarmup.TotalSeconds + 30), askForEventStamps: events, transport: transport);
        var body = RequestBodies.Completion("perfci-sim", "a short prompt of eight words for you", events ? 1_000_000 : 1, exactLength: false, continuousUsage: false);
        var clock = MonotonicClock.Start();
        var window = new Window();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long requests = 0, failed = 0, tokenEvents = 0;
        var stamped = new ConcurrentBag<List<StampedEvent>>();
        async Task WorkerAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var record = new RequestRecord();
                try
                {
                    // A long stream is cut when the window closes; its events up to then count.
                    await client.SendAsync("v1/completions", body, record, clock, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // The window closed mid-stream.
                }
                var (start, end) = (window.StartMs, window.EndMs);
                var inWindow = new List<StampedEvent>();
                for (var i = 0; i < record.TokenEvents.Count; i++)
                {
                    var at = record.TokenEvents[i].AtMs;
                    if (at < start || at >= end)
                        continue;
                    Interlocked.Increment(ref tokenEvents);
                    if (record.ServerStamps is { } stamps && stamps.Count == record.TokenEvents.Count)
                        inWindow.Add(new StampedEvent(stamps[i].SentMs, at, stamps[i].FirstOfRead));
                }
                if (inWindow.Count > 0)
                    stamped.Add(inWindow);
                if (record.SentMs >= start && record.EndMs < end)
                {
                    Interlocked.Increment(ref requests);
                    if (record.Outcome != RequestOutcome.Completed)
                        Interlocked.Increment(ref failed);
                }
            }
        }
        // The floor: the same bursts from a bare socket sender, received with no HTTP at all.
        Task<List<StampedEvent>>? floor = phase == "floor" ? SocketFloor.ReceiveAsync(url.Port, concurrency, clock, stop.Token) : null;
        var workers = floor is null ? Enumerable.Range(0, concurrency).Select(_ => Task.Run(WorkerAsync, ct)).ToArray() : [floor];

        var warmup = await WarmUpAsync(ct);
        var process = Process.GetCurrentProcess();
        var jitAtStart = System.Runtime.JitInfo.GetCompilationTime();
        process.Refresh();
        var cpuAtStart = process.TotalProcessorTime;
        var (allocatedAtStart, gen0AtStart) = (GC.GetTotalAllocatedBytes(precise: true), GC.CollectionCount(0));
        window.StartMs = clock.NowMs;
        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
        window.EndMs = clock.NowMs;
        process.Refresh();
        var cpuAtEnd = process.TotalProcessorTime;
        var (allocated, gen0) = (GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart, GC.CollectionCount(0) - gen0AtStart);
        var jitInWindow = System.Runtime.JitInfo.GetCompilationTime() - jitAtStart;
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        var measured = (window.EndMs - window.StartMs) / 1000;
        if (floor is not null)
        {
            var received = floor.Result.Where(e => e.ReceivedMs >= window.StartMs && e.ReceivedMs < window.EndMs).ToList();
            tokenEvents = received.Count;
            stamped.Add(received);
        }
        var lag = EventLag.Of([.. stamped.SelectMany(l => l)]);
        return new Figures(phase, concurrency, measured, requests, failed, tokenEvents, requests / measured, tokenEvents / measured,
            (cpuAtEnd - cpuAtStart).TotalSeconds, warmup.TotalSeconds, jitInWindow.TotalMilliseconds, lag is null ? null : LagFigures.Of(lag), allocated, gen0);
    }

    private static readonly TimeSpan MinWarmup = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxWarmup = TimeSpan.FromSeconds(20);

    /// <summary>Waits until the JIT has compiled no method for a second, after at least <see cref="MinWarmup"/>.</summary>
    private static async Task<TimeSpan> WarmUpAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(MinWarmup, ct);
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var quietSince = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < MaxWarmup && Stopwatch.GetElapsedTime(quietSince) < TimeSpan.FromSeconds(1))
        {
            await Task.Delay(100, ct);
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quietSince = Stopwatch.GetTimestamp();
            }
        }
        return Stopwatch.GetElapsedTime(started);
    }

    /// <summary>The measured window, on the run's clock; open until set.</summary>
    private sealed class Window
    {
        private double _start = double.PositiveInfinity;
        private double _end = double.PositiveInfinity;

        public double StartMs { get => Volatile.Read(ref _start); set => Volatile.Write(ref _start, value); }

        public double EndMs { get => Volatile.Read(ref _end); set => Volatile.Write(ref _end, value); }
    }

    private static async Task<Figures> RunFloorAsync(int serverCore, int clientCore, int connections, int seconds, CancellationToken ct)
    {
        var port = FreePort.Next();
        using var sender = Start(serverCore, Self(["ceiling-floor-send", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", connections.ToString(CultureInfo.InvariantCulture), "--step-ms", "20"]));
        try
        {
            return await RunClientAsync(clientCore, $"http://127.0.0.1:{port}/", "floor", connections, seconds, ClientTransport.Auto, ct);
        }
        finally
        {
            sender.Kill(entireProcessTree: true);
        }
    }

    private static async Task<Figures> RunClientAsync(int core, string url, string phase, int concurrency, int seconds, ClientTransport transport, CancellationToken ct)
    {
        using var process = Start(core, client: true, command: Self(["ceiling-client", "--url", url, "--phase", phase, "--concurrency", concurrency.ToString(CultureInfo.InvariantCulture),
            "--seconds", seconds.ToString(CultureInfo.InvariantCulture), "--transport", transport.ToString()]));
        var output = await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return JsonSerializer.Deserialize<Figures>(output.Trim().Split('\n')[^1])
            ?? throw new InvalidOperationException($"ceiling-client printed nothing: {await process.StandardError.ReadToEndAsync(ct)}");
    }

    /// <summary>wrk's figures: its own rate, and its processor time (taken from the children's rusage around its run).</summary>
    private sealed record WrkFigures(double Seconds, long Requests, double RequestsPerSecond, double CpuSeconds)
    {
        public double RequestsPerCpuSecond => CpuSeconds > 0 ? Requests / CpuSeconds : 0;
    }

    private static async Task<WrkFigures?> RunWrkAsync(int core, string url, int seconds, CancellationToken ct)
    {
        var script = Path.Combine(Path.GetTempPath(), $"perfci-ceiling-{Environment.ProcessId}.lua");
        var body = RequestBodies.Describe(RequestBodies.Completion("perfci-sim", "a short prompt of eight words for you", 1, exactLength: false, continuousUsage: false));
        await File.WriteAllTextAsync(script, $"wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\nwrk.body = [[{body}]]\n", ct);
        try
        {
            var cpuBefore = ChildrenCpu();
            using var wrk = Start(core, ("wrk", ["-t1", "-c64", $"-d{seconds}s", "-s", script, url + "v1/completions"]));
            var output = await wrk.StandardOutput.ReadToEndAsync(ct);
            await wrk.WaitForExitAsync(ct);
            // Only wrk (taskset execs it) was reaped in between: the difference is its processor time.
            var cpu = ChildrenCpu() - cpuBefore;
            var rate = WrkRate().Match(output);
            var total = WrkTotal().Match(output);
            if (!rate.Success || !total.Success)
            {
                AnsiConsole.MarkupLine($"[yellow]wrk said nothing usable:[/] {Markup.Escape(output)}");
                return null;
            }
            return new WrkFigures(
                double.Parse(total.Groups[2].Value, CultureInfo.InvariantCulture), long.Parse(total.Groups[1].Value, CultureInfo.InvariantCulture),
                double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture), cpu.TotalSeconds);
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

    [GeneratedRegex(@"(\d+) requests in ([0-9.]+)s")]
    private static partial Regex WrkTotal();

    private static TimeSpan ChildrenCpu()
    {
        if (GetRusage(-1 /* RUSAGE_CHILDREN */, out var usage) != 0)
            return TimeSpan.Zero;
        return TimeSpan.FromMicroseconds((usage.UserSeconds + usage.SystemSeconds) * 1_000_000.0 + usage.UserMicroseconds + usage.SystemMicroseconds);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds;
        public long UserMicroseconds;
        public long SystemSeconds;
        public long SystemMicroseconds;
        // ru_maxrss .. ru_nivcsw: 14 longs PerfCI does not read.
        private unsafe fixed long _rest[14];
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, out Rusage usage);

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
        // Fully optimised code from the first call: tiered compilation would otherwise recompile the
        // hot paths in the background, on the same core, for seconds into the measured windows. A long
        // run ends up in tier-1 code at least as fast, so this is the steady state, not a flattering one.
        start.Environment["DOTNET_TieredCompilation"] = "0";
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

    private static string Format(double? value, string format = "0.000") => value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";

    private static string Ratio(double a, double b) => b > 0 ? (a / b).ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

    private static string Met(bool met) => met ? "[green]met[/]" : "[red]not met[/]";
}
