using Hangfire.Common;
using Hangfire.States;
using Octokit;

namespace PerfCI.Server.GitHub;

/// <summary>
/// Retries a job that talks to GitHub the way GitHub asks: after a primary rate limit, once the limit
/// resets (X-RateLimit-Reset); after a secondary one, after Retry-After (a minute when unsaid); after a
/// 5xx, a timeout or a dropped connection, with exponential back-off and jitter. A 4xx that is not a
/// rate limit is a mistake a retry cannot fix: the job fails at once, visible in the Hangfire dashboard.
/// The retry is a Hangfire schedule, not a sleep, so no worker is held while GitHub recovers and a
/// restart loses nothing.
/// Use it with <c>[AutomaticRetry(Attempts = 0)]</c>: this filter owns the job's retries, whatever order
/// Hangfire applies the two in.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, AllowMultiple = false)]
public sealed class GitHubRetryAttribute : JobFilterAttribute, IElectStateFilter
{
    private const string CountParameter = "GitHubRetryCount";
    private static readonly TimeSpan FirstBackoff = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LongestBackoff = TimeSpan.FromMinutes(10);

    /// <summary>Retries before the job fails for good.</summary>
    public int Attempts { get; set; } = 10;

    public void OnStateElection(ElectStateContext context)
    {
        if (context.CandidateState is not FailedState failed)
            return;
        var attempt = context.GetJobParameter<int>(CountParameter, allowStale: true) + 1;
        if (attempt > Attempts || RetryAfter(Unwrap(failed.Exception), attempt, DateTimeOffset.UtcNow) is not { } wait)
            return;
        context.SetJobParameter(CountParameter, attempt);
        context.CandidateState = new ScheduledState(wait.Delay) { Reason = $"Retry {attempt} of {Attempts} in {wait.Delay.TotalSeconds:0} s: {wait.Why}" };
    }

    /// <summary>How long to wait before attempt <paramref name="attempt"/> + 1, and why; null when retrying cannot help.</summary>
    public static (TimeSpan Delay, string Why)? RetryAfter(Exception exception, int attempt, DateTimeOffset now)
    {
        var backoff = Backoff(attempt);
        return exception switch
        {
            RateLimitExceededException limit => (Max(limit.Reset - now + TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), $"GitHub's rate limit resets at {limit.Reset:O}"),
            SecondaryRateLimitExceededException => (Max(TimeSpan.FromMinutes(1), backoff), "GitHub's secondary rate limit"),
            AbuseException abuse => (Max(TimeSpan.FromSeconds(abuse.RetryAfterSeconds ?? 60), backoff), "GitHub's secondary rate limit"),
            ApiException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError } api => (backoff, $"GitHub answered {(int)api.StatusCode}"),
            ApiException { StatusCode: System.Net.HttpStatusCode.RequestTimeout or System.Net.HttpStatusCode.TooManyRequests } api => (backoff, $"GitHub answered {(int)api.StatusCode}"),
            ApiException => null,
            // Not GitHub's doing (the database, a lock held too long): retried too, and said in full.
            _ => (backoff, Shorten(exception.ToString(), 2000)),
        };
    }

    /// <summary>5 s, 10 s, 20 s ... up to 10 minutes, each up to a fifth longer at random so that many jobs do not return together.</summary>
    private static TimeSpan Backoff(int attempt)
    {
        var delay = FirstBackoff * Math.Pow(2, Math.Min(attempt - 1, 16));
        if (delay > LongestBackoff)
            delay = LongestBackoff;
#pragma warning disable CA5394 // Jitter, not security.
        return delay * (1 + Random.Shared.NextDouble() / 5);
#pragma warning restore CA5394
    }

    private static string Shorten(string text, int length) => text.Length <= length ? text : text[..length] + "…";

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static Exception Unwrap(Exception exception)
    {
        while (exception is AggregateException { InnerException: not null } or Hangfire.Server.JobPerformanceException { InnerException: not null })
            exception = exception.InnerException!;
        return exception;
    }
}
