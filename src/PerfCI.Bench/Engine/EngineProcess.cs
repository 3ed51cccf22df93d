using System.Diagnostics;
using System.Runtime.InteropServices;
using PerfCI.Bench.Client;

namespace PerfCI.Bench.Engine;

/// <summary>How to start an engine and know it is ready.</summary>
public sealed record EngineCommand(string Command, Uri ReadyUrl, TimeSpan ReadyTimeout)
{
    public string? WorkingDirectory { get; init; }
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>The engine did not start, did not become ready in time, or died; the message carries its last log lines.</summary>
public sealed class EngineException(string message, IReadOnlyList<string> lastLines) : Exception(message)
{
    public IReadOnlyList<string> LastLines { get; } = lastLines;
}

/// <summary>
/// An inference engine as a child process in its own process group (so that everything it starts
/// can be stopped with it), its output kept for the report, its readiness polled, and its stop
/// done as a careful operator would: SIGINT, wait; SIGTERM, wait; SIGKILL to the whole group.
/// Nothing may be left holding the GPU.
/// </summary>
public sealed partial class EngineProcess : IAsyncDisposable
{
    private const int SigInt = 2;
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly int _keepLines;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private EngineProcess(Process process, MonotonicClock clock, int keepLines)
    {
        _process = process;
        ProcessGroup = process.Id;
        _keepLines = keepLines;
        Clock = clock;
        SpawnedMs = clock.NowMs;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.Exited += (_, _) => _exited.TrySetResult();
        process.EnableRaisingEvents = true;
        if (process.HasExited) // before the handler was in place
            _exited.TrySetResult();
    }

    public MonotonicClock Clock { get; }
    public double SpawnedMs { get; }
    public double? ReadyMs { get; private set; }
    /// <summary>The engine's pid, which is also its process group's id (it leads a new session).</summary>
    public int ProcessGroup { get; }
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Completes when the engine's own process exits. Unlike <see cref="Process.WaitForExitAsync"/>
    /// it does not wait for the output pipes to close, which a worker the engine started may hold
    /// open long after the engine died.
    /// </summary>
    public Task Exited => _exited.Task;
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>/bin/sh -c COMMAND</c> as the leader of a new session and process group.</summary>
    public static EngineProcess Start(EngineCommand command, MonotonicClock clock, int keepLines = 200)
    {
        var start = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = command.WorkingDirectory ?? System.Environment.CurrentDirectory,
        };
        // setsid does not fork when its caller is not a group leader, so the engine's pid is its group id.
        foreach (var argument in new[] { "/bin/sh", "-c", command.Command })
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in command.Environment)
            start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new EngineException($"could not start '{command.Command}'", []);
        return new EngineProcess(process, clock, keepLines);
    }

    public IReadOnlyList<string> LastLines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    /// <summary>
    /// The last lines of an engine that has exited, once its output pipes are read to the end: the
    /// line that says why it died is its last, and the readers may not have had it yet when the exit
    /// was seen. A process it left behind may hold the pipes open, so the wait is short.
    /// </summary>
    public async Task<IReadOnlyList<string>> FinalLinesAsync()
    {
        using var drained = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await _process.WaitForExitAsync(drained.Token); // returns once stdout and stderr are at their end
        }
        catch (OperationCanceledException)
        {
            // Still running, or a child holds the pipes: what was read so far is what there is.
        }
        return LastLines;
    }

    /// <summary>Polls the ready URL until it answers 2xx; the time from spawn to then is the time to ready.</summary>
    public async Task WaitReadyAsync(EngineCommand command, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = SpawnedMs + command.ReadyTimeout.TotalMilliseconds;
        while (true)
        {
            if (_process.HasExited)
                throw new EngineException($"the engine exited with code {_process.ExitCode} before it was ready", await FinalLinesAsync());
            if (Clock.NowMs > deadline)
                throw new EngineException($"the engine was not ready at {command.ReadyUrl} within {command.ReadyTimeout.TotalSeconds:0.#} s", LastLines);
            try
            {
                using var response = await http.GetAsync(command.ReadyUrl, cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    ReadyMs = Clock.NowMs;
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Listening but too busy loading to answer.
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>SIGINT, then SIGTERM, then SIGKILL, each to the whole process group, waiting <paramref name="grace"/> between.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        foreach (var signal in new[] { SigInt, SigTerm })
        {
            if (!GroupAlive())
                break;
            _ = Kill(-ProcessGroup, signal);
            var deadline = Stopwatch.GetTimestamp() + (long)(grace.TotalSeconds * Stopwatch.Frequency);
            while (GroupAlive() && Stopwatch.GetTimestamp() < deadline)
                await Task.Delay(50);
        }
        if (GroupAlive())
            _ = Kill(-ProcessGroup, SigKill);
        await _process.WaitForExitAsync();
        // Stragglers of a group that outlived its leader are gone once signal 0 fails.
        for (var i = 0; i < 100 && GroupAlive(); i++)
            await Task.Delay(20);
    }

    /// <summary>True while any process of the group exists (kill with signal 0 succeeds).</summary>
    public bool GroupAlive() => Kill(-ProcessGroup, 0) == 0;

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5));
        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > _keepLines)
                _lines.Dequeue();
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
