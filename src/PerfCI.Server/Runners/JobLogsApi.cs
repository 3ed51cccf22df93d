using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Data;

namespace PerfCI.Server.Runners;

public sealed record LogChunk(int Sequence, string Text);

public sealed record JobLog(long JobId, int Attempt, LogChunk[] Chunks);

/// <summary>A job's log: appended by its runner in batches (fenced by the lease), read live by anyone who may see the run.</summary>
public static class JobLogsApi
{
    public static IEndpointRouteBuilder MapJobLogsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/runners/jobs/{jobId:long}/logs", AppendAsync).WithTags("Runners").WithName("AppendJobLog")
            .RequireAuthorization(RunnersApi.RunnerPolicy);
        app.MapGet("/api/jobs/{jobId:long}/logs", ReadAsync).WithTags("Jobs").WithName("ReadJobLog").RequireAuthorization(PerfCiPolicies.Read);
        return app;
    }

    /// <summary>A batch of log text (every ~500 ms). Sequence numbers make a retried batch harmless.</summary>
    public static async Task<Results<Ok, ValidationProblem, ProblemHttpResult>> AppendAsync(
        long jobId, Guid lease, LogChunk[] chunks, ClaimsPrincipal user, PerfCiDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < chunks.Length; i++)
        {
            if (chunks[i].Sequence < 0)
                errors[$"[{i}].sequence"] = ["A sequence number is 0 or more."];
            if (chunks[i].Text is null || chunks[i].Text.Length > 1_000_000)
                errors[$"[{i}].text"] = ["Required, at most 1,000,000 characters."];
        }
        if (errors.Count > 0)
            return TypedResults.ValidationProblem(errors);
        var attempt = await RunnerJobsApi.Held(db, jobId, user.RunnerId(), lease).Select(j => (int?)j.Attempt).SingleOrDefaultAsync(cancellationToken);
        if (attempt is null)
            return RunnerJobsApi.StaleLease(jobId);
        var now = time.GetUtcNow();
        foreach (var chunk in chunks)
        {
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO job_log_chunks (job_id, attempt, sequence, text, created_at) VALUES ({jobId}, {attempt.Value}, {chunk.Sequence}, {chunk.Text}, {now}) ON CONFLICT (job_id, attempt, sequence) DO NOTHING",
                cancellationToken);
        }
        return TypedResults.Ok();
    }

    /// <summary>The log of the job's current (or a given) attempt after a sequence number, for following it live.</summary>
    public static async Task<Ok<JobLog>> ReadAsync(long jobId, int? attempt, int? after, PerfCiDbContext db, CancellationToken cancellationToken)
    {
        var current = attempt ?? await db.Jobs.Where(j => j.Id == jobId).Select(j => j.Attempt).FirstOrDefaultAsync(cancellationToken);
        var chunks = await db.JobLogChunks.AsNoTracking()
            .Where(c => c.JobId == jobId && c.Attempt == current && c.Sequence > (after ?? -1))
            .OrderBy(c => c.Sequence)
            .Select(c => new LogChunk(c.Sequence, c.Text))
            .ToArrayAsync(cancellationToken);
        return TypedResults.Ok(new JobLog(jobId, current, chunks));
    }
}
