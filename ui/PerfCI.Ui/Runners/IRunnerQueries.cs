using System.Security.Claims;
using PerfCI.Core.Domain;
using PerfCI.Ui.Actions;

namespace PerfCI.Ui.Runners;

public interface IRunnerQueries
{
    Task<IReadOnlyList<RunnerItem>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>Registration tokens and revocation, checked against the user's role (admin) on the server.</summary>
public interface IRunnerActions
{
    Task<ActionOutcome<RegistrationTokenCreated>> CreateRegistrationTokenAsync(
        ClaimsPrincipal user, string serverUrl, string? runnerName, IReadOnlyList<string> labels, TimeSpan lifetime, CancellationToken cancellationToken);
    Task<ActionOutcome<RunnerState>> RevokeAsync(ClaimsPrincipal user, long runnerId, CancellationToken cancellationToken);
}

public sealed record RunnerItem(
    long Id, string Name, IReadOnlyList<string> Labels, string HardwareClass, string Hardware, RunnerState State, string Version,
    DateTimeOffset RegisteredAt, DateTimeOffset? LastSeenAt, long? CurrentJobId, long? CurrentRunId, string? CurrentJob);

/// <summary>The token in clear, shown once (only its hash is stored), with the command that uses it.</summary>
public sealed record RegistrationTokenCreated(string Token, DateTimeOffset ExpiresAt, string RegisterCommand);
