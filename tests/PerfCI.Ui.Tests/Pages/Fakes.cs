using System.Security.Claims;
using PerfCI.Core.Domain;
using PerfCI.Ui.Actions;
using PerfCI.Ui.Alerts;
using PerfCI.Ui.PullRequests;
using PerfCI.Ui.Runners;
using PerfCI.Ui.Runs;

namespace PerfCI.Ui.Tests.Pages;

// Stand-ins for the server's action services and queries: these tests are about what a component
// shows and sends; the services themselves are tested on PostgreSQL in PerfCI.Server.Tests.

internal sealed class RecordingAlertActions : IAlertActions
{
    public List<(string User, string What, long Id, AlertState? State, string? Note)> Calls { get; } = [];

    public Task<ActionOutcome<AlertState>> TriageAlertAsync(ClaimsPrincipal user, long alertId, AlertState state, string? note, CancellationToken cancellationToken)
    {
        Calls.Add((user.Identity!.Name!, "alert", alertId, state, note));
        return Task.FromResult(ActionOutcome<AlertState>.Done(state));
    }

    public Task<ActionOutcome<AlertState>> TriageGroupAsync(ClaimsPrincipal user, long groupId, AlertState state, string? note, CancellationToken cancellationToken)
    {
        Calls.Add((user.Identity!.Name!, "group", groupId, state, note));
        return Task.FromResult(ActionOutcome<AlertState>.Done(state));
    }

    public Task<ActionOutcome<long>> AcceptStepAsync(ClaimsPrincipal user, long changePointId, string? note, CancellationToken cancellationToken)
    {
        Calls.Add((user.Identity!.Name!, "step", changePointId, null, note));
        return Task.FromResult(ActionOutcome<long>.Done(1));
    }
}

internal sealed class RecordingRunnerActions : IRunnerActions
{
    public List<(string User, string Server, string? Name, IReadOnlyList<string> Labels, TimeSpan Lifetime)> Tokens { get; } = [];

    public Task<ActionOutcome<RegistrationTokenCreated>> CreateRegistrationTokenAsync(
        ClaimsPrincipal user, string serverUrl, string? runnerName, IReadOnlyList<string> labels, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        Tokens.Add((user.Identity!.Name!, serverUrl, runnerName, labels, lifetime));
        var token = $"prt_{Tokens.Count}";
        return Task.FromResult(ActionOutcome<RegistrationTokenCreated>.Done(
            new RegistrationTokenCreated(token, DateTimeOffset.UnixEpoch.AddDays(1), $"perfci-runner register --server {serverUrl.TrimEnd('/')} --token {token} --name {runnerName}")));
    }

    public Task<ActionOutcome<RunnerState>> RevokeAsync(ClaimsPrincipal user, long runnerId, CancellationToken cancellationToken) =>
        Task.FromResult(ActionOutcome<RunnerState>.Done(RunnerState.Revoked));
}

internal sealed class RecordingPullRequestActions : IPullRequestActions
{
    public List<(string User, string What, int Number, string? Note)> Calls { get; } = [];

    public Task<ActionOutcome<bool>> ApproveAsync(ClaimsPrincipal user, string owner, string name, int number, CancellationToken cancellationToken)
    {
        Calls.Add((user.Identity!.Name!, $"approve {owner}/{name}", number, null));
        return Task.FromResult(ActionOutcome<bool>.Done(true));
    }

    public Task<ActionOutcome<bool>> AcknowledgeRegressionAsync(ClaimsPrincipal user, string owner, string name, int number, string? note, CancellationToken cancellationToken)
    {
        Calls.Add((user.Identity!.Name!, $"acknowledge {owner}/{name}", number, note));
        return Task.FromResult(ActionOutcome<bool>.Done(true));
    }
}

/// <summary>A job's log as a runner streams it: each read returns the next batch the test queued.</summary>
internal sealed class StreamingLogQueries : IRunQueries
{
    private readonly Queue<(JobLogLine[] Chunks, JobState State)> _batches = new();

    public List<int> Reads { get; } = [];

    public StreamingLogQueries Then(JobState state, params JobLogLine[] chunks)
    {
        _batches.Enqueue((chunks, state));
        return this;
    }

    public Task<JobLogView> LogAsync(long jobId, int afterSequence, CancellationToken cancellationToken)
    {
        lock (Reads)
        {
            Reads.Add(afterSequence);
            var (chunks, state) = _batches.Count > 1 ? _batches.Dequeue() : _batches.Peek();
            // A re-read after the last batch returns nothing new, as the server does.
            return Task.FromResult(new JobLogView(jobId, 1, state, [.. chunks.Where(c => c.Sequence > afterSequence)]));
        }
    }

    public Task<IReadOnlyList<string>> RepositoriesAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<IReadOnlyList<RunListItem>> ListAsync(RunFilter filter, CancellationToken cancellationToken) => throw new NotSupportedException();
    public Task<RunDetail?> GetAsync(long id, CancellationToken cancellationToken) => throw new NotSupportedException();
}
