using System.ComponentModel;
using System.Diagnostics;

namespace PerfCI.Bench.Gpu;

/// <summary>
/// Samples every GPU while a scenario runs, from one long-running <c>nvidia-smi -lms</c> process
/// rather than one process per sample: starting nvidia-smi takes longer than the 100 ms interval.
/// Start it before the scenario's first request and stop it after the last response: energy covers
/// the window between the first and the last sample.
/// </summary>
public sealed class GpuSampler : IAsyncDisposable
{
    /// <summary>How long nvidia-smi may take to print its first line: without persistence mode the driver initialises first.</summary>
    public static readonly TimeSpan DefaultFirstSampleTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly StreamReader _output;
    private readonly Task _stderr;
    private readonly IReadOnlyList<string> _fields;
    private readonly long _started;
    private readonly List<GpuSample> _samples = [];
    private readonly Lock _lock = new();
    private Task? _reading;
    private Task<GpuTelemetry>? _stopping;
    private int _skippedLines;
    private string? _firstSkippedLine;

    private GpuSampler(Process process, Task stderr, IReadOnlyList<string> fields, long started)
    {
        _process = process;
        _output = process.StandardOutput;
        _stderr = stderr;
        _fields = fields;
        _started = started;
    }

    /// <summary>The query nvidia-smi accepted.</summary>
    public IReadOnlyList<string> Fields => _fields;

    /// <summary>Samples collected so far, over all GPUs.</summary>
    public int SampleCount
    {
        get
        {
            lock (_lock)
                return _samples.Count;
        }
    }

    /// <summary>
    /// Starts sampling every <paramref name="interval"/>, or returns null when there is nothing to
    /// sample: nvidia-smi not installed, no GPU, or no answer. A GPU-less run then records telemetry
    /// as absent rather than as zeros. Returns once the first sample has arrived, so a caller that
    /// starts its scenario afterwards has the GPUs' state from before its first request.
    /// </summary>
    /// <param name="executable">nvidia-smi, or a path to stand in for it (tests use a script).</param>
    public static async Task<GpuSampler?> TryStartAsync(
        TimeSpan interval,
        string executable = NvidiaSmi.Executable,
        TimeSpan? firstSampleTimeout = null,
        CancellationToken cancellationToken = default)
    {
        var intervalMs = (int)Math.Round(interval.TotalMilliseconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(intervalMs, 1, nameof(interval));
        var started = Stopwatch.GetTimestamp();
        foreach (var fields in NvidiaSmi.TelemetryQueries)
        {
            var (sampler, unknownField) = await TryStartQueryAsync(
                executable, fields, intervalMs, started, firstSampleTimeout ?? DefaultFirstSampleTimeout, cancellationToken);
            if (sampler is not null || !unknownField)
                return sampler;
        }
        return null;
    }

    /// <summary>
    /// Stops nvidia-smi (and anything it started) and returns what it sampled. Safe to call twice;
    /// the second call returns the same telemetry.
    /// </summary>
    public Task<GpuTelemetry> StopAsync()
    {
        lock (_lock)
            return _stopping ??= StopOnceAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static async Task<(GpuSampler? Sampler, bool UnknownField)> TryStartQueryAsync(
        string executable, IReadOnlyList<string> fields, int intervalMs, long started, TimeSpan firstSampleTimeout, CancellationToken cancellationToken)
    {
        var start = NvidiaSmi.StartInfo(executable,
            ["--query-gpu=" + string.Join(',', fields), "--format=csv,noheader,nounits", "-lms", intervalMs.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (Win32Exception)
        {
            return (null, false); // not installed
        }
        if (process is null)
            return (null, false);

        // Drained from the start: a child that fills the stderr pipe would block.
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        // nvidia-smi can print a warning before its first row: read on to a row, its exit, or the timeout.
        var unread = new List<string>();
        string? firstUnread = null;
        GpuSample? first = null;
        var arrived = 0L;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(firstSampleTimeout);
            while (first is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                arrived = Stopwatch.GetTimestamp();
                if (line.Trim().Length == 0)
                    continue;
                try
                {
                    first = NvidiaSmi.ParseSample(line, fields);
                }
                catch (FormatException error)
                {
                    unread.Add(line);
                    firstUnread ??= error.Message;
                }
            }
        }
        catch (OperationCanceledException)
        {
            await KillAsync(process);
            process.Dispose();
            cancellationToken.ThrowIfCancellationRequested();
            return (null, false); // hung: as good as absent
        }

        if (first is null)
        {
            // It exited without a row: "No devices were found", "... is not a valid field to query.",
            // "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver".
            await KillAsync(process);
            await DrainedAsync(stderr);
            var said = string.Join('\n', unread) + "\n" + (stderr.IsCompletedSuccessfully ? stderr.Result : "");
            process.Dispose();
            return (null, NvidiaSmi.IsUnknownFieldError(said));
        }

        var sampler = new GpuSampler(process, stderr, fields, started) { _skippedLines = unread.Count, _firstSkippedLine = firstUnread };
        sampler.Add(first, arrived);
        sampler._reading = sampler.ReadAsync();
        return (sampler, false);
    }

    private async Task ReadAsync()
    {
        // Ends when nvidia-smi exits or is killed and its stdout closes.
        while (await _output.ReadLineAsync() is { } line)
        {
            var arrived = Stopwatch.GetTimestamp();
            if (line.Trim().Length == 0)
                continue;
            try
            {
                Add(NvidiaSmi.ParseSample(line, _fields), arrived);
            }
            catch (FormatException error)
            {
                // One odd line (a driver warning) must not end a scenario's telemetry.
                lock (_lock)
                {
                    _skippedLines++;
                    _firstSkippedLine ??= error.Message;
                }
            }
        }
    }

    private void Add(GpuSample sample, long arrived)
    {
        var stamped = sample with { ElapsedMs = Stopwatch.GetElapsedTime(_started, arrived).TotalMilliseconds };
        lock (_lock)
            _samples.Add(stamped);
    }

    private async Task<GpuTelemetry> StopOnceAsync()
    {
        await KillAsync(_process);
        // Killing the whole tree closes the pipes; the timeout covers a grandchild that escaped the kill.
        if (_reading is not null)
            await DrainedAsync(_reading);
        await DrainedAsync(_stderr);
        _process.Dispose();
        lock (_lock)
            return new GpuTelemetry(_fields, [.. _samples], _skippedLines, _firstSkippedLine);
    }

    private static async Task DrainedAsync(Task reading)
    {
        try
        {
            await reading.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception error) when (error is TimeoutException or IOException or ObjectDisposedException)
        {
            // What was read before is kept; the telemetry is what arrived.
        }
    }

    private static async Task KillAsync(Process process)
    {
        try
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        catch (TimeoutException)
        {
            // Unkillable (a driver hang in D state): leave it rather than hang the run.
        }
    }
}
