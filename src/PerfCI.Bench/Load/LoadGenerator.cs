using System.Collections.Concurrent;
using System.Diagnostics;
using PerfCI.Bench.Client;
using PerfCI.Bench.Gpu;
using PerfCI.Bench.Metrics;

namespace PerfCI.Bench.Load;

/// <summary>One trial: every measured request's record, and what the client itself achieved.</summary>
public sealed record TrialRun(int Trial, IReadOnlyList<RequestRecord> Requests, TrialMetrics Metrics, bool Valid, IReadOnlyList<string> Notes)
{
    /// <summary>The GPUs' readings over the trial, for the dashboard's telemetry chart.</summary>
    public IReadOnlyList<PerfCI.Core.Results.GpuTracePoint> GpuTrace { get; init; } = [];
}

/// <summary>
/// Sends a scenario's requests at its load: warm-up first (not measured), then the measured
/// requests, once per trial. Closed loop: N workers, no semaphore between a worker and its send.
/// Open loop: a precomputed schedule; how late each send was is measured, and a trial whose
/// client fell behind is flagged invalid.
/// </summary>
public sealed class LoadGenerator(OpenAiStreamingClient client)
{
    /// <summary>A trial is invalid when the client sent this much later than scheduled (p99)...</summary>
    public const double MaxScheduleDelayP99Ms = 10;
    /// <summary>...or achieved less than this share of the asked-for request rate.</summary>
    public const double MinAchievedRateShare = 0.95;

    public async Task<TrialRun> RunTrialAsync(ScenarioSpec spec, int trial, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var seed = HashCode.Combine(spec.Workload.Seed, trial);
        var planned = PromptFactory.Plan(spec, spec.Warmup + spec.Requests, seed);
        var clock = MonotonicClock.Start();
        if (spec.Warmup > 0)
            await RunClosedAsync(spec, planned[..spec.Warmup], Math.Max(1, spec.Load.Parallelism), clock, null, cancellationToken);

        var measured = planned[spec.Warmup..];
        var notes = new List<string>();
        var valid = true;
        IReadOnlyList<RequestRecord> records;
        var extra = new Dictionary<string, double>();
        // No GPU means no GPU metrics at all (absent, never zeros).
        await using var gpu = spec.SampleGpu ? await GpuSampler.TryStartAsync(TimeSpan.FromMilliseconds(100), spec.NvidiaSmiPath, cancellationToken: cancellationToken) : null;
        if (spec.Load.Kind == ArrivalKind.ClosedLoop)
        {
            records = await RunClosedAsync(spec, measured, spec.Load.Concurrency ?? 1, clock, progress, cancellationToken);
        }
        else
        {
            var (openRecords, delays, achievedRate, scheduledRate) = await RunOpenAsync(spec, measured, seed, clock, progress, cancellationToken);
            records = openRecords;
            var p99 = Distribution.Of(delays)?.P99 ?? 0;
            extra["schedule_delay_p99"] = p99;
            extra["achieved_request_rate"] = achievedRate;
            // Against the drawn schedule, not the nominal rate: a Poisson sample of 80 gaps is itself
            // ~10% off the nominal rate without the client being late at all.
            if (p99 > MaxScheduleDelayP99Ms || achievedRate < scheduledRate * MinAchievedRateShare)
            {
                valid = false;
                notes.Add($"invalid: the client fell behind its schedule (schedule delay p99 {p99:0.0} ms, sent {achievedRate:0.00} req/s of the {scheduledRate:0.00} scheduled)");
            }
        }

        IReadOnlyList<PerfCI.Core.Results.GpuTracePoint> trace = [];
        if (gpu is not null)
        {
            var telemetry = await gpu.StopAsync();
            AddGpuMetrics(telemetry, records, extra, notes);
            trace = PerfCI.Core.Results.GpuTrace.Thin([.. telemetry.Samples.Select(s =>
                new PerfCI.Core.Results.GpuTracePoint(s.Gpu, s.ElapsedMs, s.MemoryUsedMiB, s.UtilizationPercent, s.PowerW, s.SmClockMHz))]);
        }
        else if (spec.SampleGpu)
            notes.Add("no NVIDIA GPU telemetry (nvidia-smi absent or no GPU): GPU metrics left out");

        var metrics = TrialMetrics.Compute(records, spec.Slo, spec.ExactOutputLength);
        var values = new Dictionary<string, double>(metrics.Values);
        foreach (var (name, value) in extra)
            values[name] = value;
        notes.AddRange(metrics.Notes);
        return new TrialRun(trial, records, metrics with { Values = values }, valid, notes) { GpuTrace = trace };
    }

    private static void AddGpuMetrics(GpuTelemetry telemetry, IReadOnlyList<RequestRecord> records, Dictionary<string, double> values, List<string> notes)
    {
        var summary = telemetry.Summary();
        if (summary.PeakMemoryUsedMiB is { } memory)
            values["gpu_memory_peak"] = memory;
        if (summary.MeanUtilizationPercent is { } utilization)
            values["gpu_utilization_mean"] = utilization;
        if (summary.MeanPowerW is { } power)
            values["gpu_power_mean"] = power;
        var outputTokens = records.Where(r => r.Outcome == RequestOutcome.Completed).Sum(r => r.OutputTokens);
        if (summary.EnergyPerToken(outputTokens) is { } energy)
            values["energy_per_output_token"] = energy;
        if (summary.ThrottleReasons is { Count: > 0 } reasons)
            notes.Add($"GPU clocks were held back: {string.Join(", ", reasons)}");
        if (summary.MaxTemperatureC is { } temperature)
            notes.Add($"GPU: {summary.GpuCount} x, peak {summary.PeakMemoryUsedMiB:0} MiB, {summary.MeanUtilizationPercent:0}% busy, {summary.MeanPowerW:0} W mean, max {temperature:0} C, SM clock {summary.MeanSmClockMHz:0} MHz");
    }

    private async Task<IReadOnlyList<RequestRecord>> RunClosedAsync(
        ScenarioSpec spec, List<PlannedRequest> requests, int concurrency, MonotonicClock clock, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var records = new RequestRecord[requests.Count];
        var next = -1;
        var done = 0;
        async Task WorkerAsync()
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests.Count)
            {
                records[index] = await SendAsync(spec, requests[index], clock, cancellationToken);
                progress?.Report(Interlocked.Increment(ref done));
            }
        }
        var workers = Enumerable.Range(0, Math.Min(concurrency, requests.Count)).Select(_ => Task.Run(WorkerAsync, cancellationToken));
        await Task.WhenAll(workers);
        return records;
    }

    private async Task<(IReadOnlyList<RequestRecord> Records, List<double> DelaysMs, double AchievedRate, double ScheduledRate)> RunOpenAsync(
        ScenarioSpec spec, List<PlannedRequest> requests, int seed, MonotonicClock clock, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var schedule = ArrivalSchedule.Times(requests.Count, spec.Load.RequestRate!.Value, spec.Load.Burstiness, seed);
        using var gate = spec.Load.MaxConcurrency is { } max ? new SemaphoreSlim(max) : null;
        var records = new RequestRecord[requests.Count];
        var delays = new ConcurrentBag<double>();
        var tasks = new List<Task>(requests.Count);
        var done = 0;
        var origin = clock.NowMs;
        for (var i = 0; i < requests.Count; i++)
        {
            var due = origin + schedule[i];
            await WaitUntilAsync(clock, due, cancellationToken);
            // Started here, not through Task.Run: the request goes out from this loop at once (up to
            // its first real wait), so no thread-pool hop sits between its due time and its send.
            tasks.Add(SendScheduledAsync(i, due));
        }
        await Task.WhenAll(tasks);

        async Task SendScheduledAsync(int index, double due)
        {
            // A capped open loop waits for a slot; the wait is schedule delay, never hidden.
            if (gate is not null)
                await gate.WaitAsync(cancellationToken);
            try
            {
                delays.Add(clock.NowMs - due);
                records[index] = await SendAsync(spec, requests[index], clock, cancellationToken);
                progress?.Report(Interlocked.Increment(ref done));
            }
            finally
            {
                gate?.Release();
            }
        }

        var sent = records.Select(r => r.SentMs).Order().ToList();
        var span = (sent[^1] - sent[0]) / 1000.0;
        var achieved = sent.Count > 1 && span > 0 ? (sent.Count - 1) / span : spec.Load.RequestRate!.Value;
        var scheduledSpan = (schedule[^1] - schedule[0]) / 1000.0;
        var scheduled = schedule.Length > 1 && scheduledSpan > 0 ? (schedule.Length - 1) / scheduledSpan : spec.Load.RequestRate!.Value;
        return (records, [.. delays], achieved, scheduled);
    }

    private Task<RequestRecord> SendAsync(ScenarioSpec spec, PlannedRequest request, MonotonicClock clock, CancellationToken cancellationToken) =>
        client.SendAsync(spec.Path, request.Body,
            new RequestRecord { Index = request.Index, PromptTokensSent = request.PromptTokens, OutputTokensRequested = request.OutputTokens },
            clock, cancellationToken);

    /// <summary>Task.Delay to within ~2 ms, then yield-spin: a millisecond-accurate schedule without a busy core.</summary>
    private static async Task WaitUntilAsync(MonotonicClock clock, double dueMs, CancellationToken cancellationToken)
    {
        var remaining = dueMs - clock.NowMs;
        if (remaining > 3)
            await Task.Delay(TimeSpan.FromMilliseconds(remaining - 2), cancellationToken);
        while (clock.NowMs < dueMs)
            Thread.Yield();
    }
}

/// <summary>Open-loop arrival times: gamma-distributed gaps with mean 1/rate (shape 1 is Poisson).</summary>
public static class ArrivalSchedule
{
    public static double[] Times(int count, double ratePerSecond, double burstiness, int seed)
    {
        var random = new Random(seed);
        var times = new double[count];
        var t = 0.0;
        var meanGapMs = 1000.0 / ratePerSecond;
        for (var i = 0; i < count; i++)
        {
            times[i] = t;
            t += Gamma(random, burstiness) * meanGapMs / burstiness;
        }
        return times;
    }

    /// <summary>Marsaglia-Tsang gamma sampler with scale 1.</summary>
    private static double Gamma(Random random, double shape)
    {
        if (shape < 1)
            return Gamma(random, shape + 1) * Math.Pow(random.NextDouble(), 1 / shape);
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(random);
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            var u = random.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v)))
                return d * v;
        }
    }

    private static double Normal(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
