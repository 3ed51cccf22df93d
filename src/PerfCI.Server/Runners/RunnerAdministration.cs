using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Server.Access;
using PerfCI.Ui.Actions;
using PerfCI.Ui.Runners;

namespace PerfCI.Server.Runners;

/// <summary>
/// An admin's part of the fleet, for the API and the dashboard alike: registration tokens (the
/// token is shown once, with the command that uses it) and revocation.
/// </summary>
public sealed class RunnerAdministration(IDbContextFactory<PerfCiDbContext> contexts, TimeProvider time, ILogger<RunnerAdministration> logger) : IRunnerActions
{
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(30);

    public async Task<ActionOutcome<RegistrationTokenCreated>> CreateRegistrationTokenAsync(
        ClaimsPrincipal user, string serverUrl, string? runnerName, IReadOnlyList<string> labels, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        if (!ActionRoles.MayAdminister(user))
            return ActionOutcome<RegistrationTokenCreated>.Forbidden(PerfCiRoles.Admin);
        var errors = new Dictionary<string, string[]>();
        if (!Uri.TryCreate(serverUrl, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
            errors["serverUrl"] = ["Required: the server's absolute http(s) URL, as runners reach it."];
        if (!string.IsNullOrEmpty(runnerName) && !IsName(runnerName, 100))
            errors["name"] = ["A runner name is letters, digits, '-', '_', '.'; at most 100 characters."];
        for (var i = 0; i < labels.Count; i++)
        {
            if (!IsName(labels[i], 50))
                errors[$"labels[{i}]"] = ["A label is letters, digits, '-', '_', '.'; at most 50 characters."];
        }
        if (lifetime <= TimeSpan.Zero || lifetime > MaxLifetime)
            errors["expiresHours"] = ["Between a few minutes and 30 days (720 hours)."];
        if (errors.Count > 0)
            return ActionOutcome<RegistrationTokenCreated>.Invalid(errors);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var token = await new RunnerRegistration(db, time).CreateTokenAsync(labels, lifetime, ActionRoles.NameOf(user), cancellationToken);
        var command = $"perfci-runner register --server {server!.ToString().TrimEnd('/')} --token {token}"
            + (string.IsNullOrEmpty(runnerName) ? "" : $" --name {runnerName}");
        logger.LogInformation("{User} created a runner registration token (labels {Labels}) valid for {Lifetime}", ActionRoles.NameOf(user), labels, lifetime);
        return ActionOutcome<RegistrationTokenCreated>.Done(new RegistrationTokenCreated(token, time.GetUtcNow() + lifetime, command));
    }

    /// <summary>
    /// The runner's credential stops working at once (401, and the runner exits for good). A job it
    /// holds is handed back through lease expiry, which queues it again (or fails it after its last
    /// attempt), as for a runner that died.
    /// </summary>
    public async Task<ActionOutcome<RunnerState>> RevokeAsync(ClaimsPrincipal user, long runnerId, CancellationToken cancellationToken)
    {
        if (!ActionRoles.MayAdminister(user))
            return ActionOutcome<RunnerState>.Forbidden(PerfCiRoles.Admin);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var revoked = await db.Runners.Where(r => r.Id == runnerId)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.State, RunnerState.Revoked), cancellationToken);
        if (revoked == 0)
            return ActionOutcome<RunnerState>.NotFound($"There is no runner {runnerId}.");
        var now = time.GetUtcNow();
        await db.Jobs.Where(j => j.RunnerId == runnerId && j.State == JobState.Running)
            .ExecuteUpdateAsync(set => set.SetProperty(j => j.LeaseExpiresAt, now.AddSeconds(-1)), cancellationToken);
        logger.LogWarning("{User} revoked runner {RunnerId}", ActionRoles.NameOf(user), runnerId);
        return ActionOutcome<RunnerState>.Done(RunnerState.Revoked);
    }

    private static bool IsName(string? value, int max) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= max && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
