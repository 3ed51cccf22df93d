using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using PerfCI.Core.Results;

namespace PerfCI.Runner.Agent;

/// <summary>A job as the server hands it out (the claim's answer), under a lease of <see cref="LeaseDuration"/>.</summary>
public sealed record ClaimedJob(
    long JobId, long RunId, int Attempt, Guid LeaseToken, DateTimeOffset LeaseExpiresAt, string Suite, string CommitSha, string CloneUrl, TimeSpan LeaseDuration);

public sealed record HeartbeatAnswer(DateTimeOffset LeaseExpiresAt, bool Cancel, TimeSpan LeaseDuration);

/// <summary>The server said the credential is unknown or revoked: the runner must stop and not restart.</summary>
public sealed class RunnerRevokedException() : Exception("the server rejected this runner's credential (revoked or unknown)");

/// <summary>The lease was lost (expired, or the job moved on): drop the job.</summary>
public sealed class LeaseLostException(long jobId) : Exception($"the lease on job {jobId} was lost");

/// <summary>The runner's side of the protocol, over one HttpClient with the credential.</summary>
public sealed class ServerApi : IDisposable
{
    private readonly HttpClient _http;

    public ServerApi(RunnerConfig config, TimeSpan claimTimeout)
    {
        _http = new HttpClient { BaseAddress = new Uri(config.Server), Timeout = claimTimeout };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", config.Credential);
    }

    public async Task CheckCredentialAsync(CancellationToken ct) => Check(await _http.GetAsync("api/runners/me", ct), null).Dispose();

    public async Task<ClaimedJob?> ClaimAsync(CancellationToken ct)
    {
        using var response = Check(await _http.PostAsync("api/runners/claim", null, ct), null);
        return response.StatusCode == HttpStatusCode.NoContent ? null : await response.Content.ReadFromJsonAsync<ClaimedJob>(ct);
    }

    public async Task<HeartbeatAnswer> HeartbeatAsync(ClaimedJob job, CancellationToken ct)
    {
        using var response = Check(await _http.PostAsJsonAsync($"api/runners/jobs/{job.JobId}/heartbeat", new { leaseToken = job.LeaseToken }, ct), job);
        return (await response.Content.ReadFromJsonAsync<HeartbeatAnswer>(ct))!;
    }

    public async Task AppendLogAsync(ClaimedJob job, IReadOnlyList<(int Sequence, string Text)> chunks, CancellationToken ct)
    {
        using var response = Check(await _http.PostAsJsonAsync($"api/runners/jobs/{job.JobId}/logs?lease={job.LeaseToken}",
            chunks.Select(c => new { sequence = c.Sequence, text = c.Text }), ct), job);
    }

    public async Task UploadAsync(ClaimedJob job, ResultDocument document, CancellationToken ct)
    {
        using var content = new StringContent(ResultDocumentJson.Serialize(document), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync($"api/runners/jobs/{job.JobId}/results?lease={job.LeaseToken}", content, ct);
        // A 409 "already uploaded": an earlier try of this very upload got through, or an earlier
        // attempt's runner uploaded before it died; either way the job has its one set of results.
        if (response.StatusCode == HttpStatusCode.Conflict && (await response.Content.ReadAsStringAsync(ct)).Contains("Already uploaded", StringComparison.Ordinal))
            return;
        // The results themselves were refused: sending them again changes nothing, and the job's
        // error should say what the server found wrong.
        if (response.StatusCode == HttpStatusCode.BadRequest)
            throw new HttpRequestException($"the server refused the results: {await response.Content.ReadAsStringAsync(ct)}", null, response.StatusCode);
        Check(response, job).Dispose();
    }

    public async Task CompleteAsync(ClaimedJob job, bool succeeded, string? error, string? engineLogTail, CancellationToken ct)
    {
        using var response = Check(await _http.PostAsJsonAsync($"api/runners/jobs/{job.JobId}/complete",
            new { leaseToken = job.LeaseToken, succeeded, error, engineLogTail }, ct), job);
    }

    private static HttpResponseMessage Check(HttpResponseMessage response, ClaimedJob? job)
    {
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            throw new RunnerRevokedException();
        }
        if (response.StatusCode == HttpStatusCode.Conflict && job is not null)
        {
            response.Dispose();
            throw new LeaseLostException(job.JobId);
        }
        return response.EnsureSuccessStatusCode();
    }

    public void Dispose() => _http.Dispose();
}
