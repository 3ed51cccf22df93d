using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hangfire.Server;

namespace PerfCI.Server.Jobs;

/// <summary>
/// Traces and metrics for Hangfire jobs (no OpenTelemetry instrumentation package for Hangfire is
/// available to us): one activity per performed job, a duration histogram and an outcome counter.
/// </summary>
public sealed class HangfireTelemetry : IServerFilter, IDisposable
{
    public const string ActivitySourceName = "PerfCI.Hangfire";
    public const string MeterName = "PerfCI.Hangfire";
    private const string ActivityKey = "perfci.activity";

    private static readonly ActivitySource Source = new(ActivitySourceName);
    private readonly Meter _meter = new(MeterName);
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _performed;

    public HangfireTelemetry()
    {
        _duration = _meter.CreateHistogram<double>("perfci.hangfire.job.duration", "s", "Time to perform a Hangfire job.");
        _performed = _meter.CreateCounter<long>("perfci.hangfire.job.performed", "{job}", "Hangfire jobs performed, by outcome.");
    }

    public void OnPerforming(PerformingContext context)
    {
        var job = context.BackgroundJob.Job;
        var activity = Source.StartActivity($"{job.Type.Name}.{job.Method.Name}", ActivityKind.Consumer);
        activity?.SetTag("hangfire.job.id", context.BackgroundJob.Id);
        activity?.SetTag("hangfire.job.type", job.Type.FullName);
        context.Items[ActivityKey] = new JobTiming(activity, Stopwatch.GetTimestamp());
    }

    public void OnPerformed(PerformedContext context)
    {
        if (context.Items.TryGetValue(ActivityKey, out var value) && value is JobTiming(var activity, var started))
        {
            var outcome = context.Exception is null ? "succeeded" : "failed";
            var tags = new TagList { { "hangfire.job.type", context.BackgroundJob.Job.Type.Name }, { "outcome", outcome } };
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            _performed.Add(1, tags);
            if (context.Exception is { } exception)
                activity?.SetStatus(ActivityStatusCode.Error, exception.Message);
            activity?.Dispose();
        }
    }

    public void Dispose() => _meter.Dispose();

    private sealed record JobTiming(Activity? Activity, long Started);
}
