using Microsoft.EntityFrameworkCore;
using Npgsql;
using PerfCI.Core.Domain;
using PerfCI.Core.Hardware;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Runners;

public sealed record RegisterRunnerRequest(string? Token, string? Name, string[]? Labels, HardwareFingerprint? Hardware)
{
    public Dictionary<string, string[]> Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(Token))
            errors["token"] = ["Required: the registration token an admin created."];
        if (!IsName(Name, 100))
            errors["name"] = ["Required: letters, digits, '-', '_', '.'; at most 100 characters."];
        foreach (var (label, i) in (Labels ?? []).Select((l, i) => (l, i)))
        {
            if (!IsName(label, 50))
                errors[$"labels[{i}]"] = ["A label is letters, digits, '-', '_', '.'; at most 50 characters."];
        }
        if (Hardware is null)
            errors["hardware"] = ["Required: the machine's fingerprint (perfci-runner fingerprint --json)."];
        else if (Hardware.Gpus.Any(g => string.IsNullOrWhiteSpace(g.Model) || g.MemoryMiB <= 0))
            errors["hardware.gpus"] = ["Every GPU needs a model and its memory in MiB."];
        return errors;
    }

    private static bool IsName(string? value, int max) =>
        !string.IsNullOrWhiteSpace(value) && value.Length <= max && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}

public sealed record RegisterRunnerResponse(long Id, string Name, string Credential, string HardwareClass, string[] Labels);

public enum RegistrationOutcome
{
    Registered,
    TokenRejected,
    NameTaken,
}

/// <summary>Registration tokens (created by an admin) exchanged once for a runner credential; only hashes are stored.</summary>
public sealed class RunnerRegistration(PerfCiDbContext db, TimeProvider time)
{
    public async Task<string> CreateTokenAsync(IReadOnlyList<string> labels, TimeSpan lifetime, string createdBy, CancellationToken cancellationToken)
    {
        var token = RunnerSecrets.NewRegistrationToken();
        var now = time.GetUtcNow();
        db.RegistrationTokens.Add(new RegistrationToken
        {
            TokenHash = RunnerSecrets.Hash(token), Labels = [.. labels], CreatedBy = createdBy, CreatedAt = now, ExpiresAt = now + lifetime,
        });
        await db.SaveChangesAsync(cancellationToken);
        return token;
    }

    public async Task<(RegistrationOutcome Outcome, RegisterRunnerResponse? Runner)> RegisterAsync(RegisterRunnerRequest request, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var hash = RunnerSecrets.Hash(request.Token!);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // The row lock makes two registrations with one token race safely: the second sees it used.
        var token = await db.RegistrationTokens
            .FromSql($"SELECT * FROM registration_tokens WHERE token_hash = {hash} FOR UPDATE")
            .SingleOrDefaultAsync(cancellationToken);
        if (token is null || token.UsedAt is not null || token.ExpiresAt <= now)
            return (RegistrationOutcome.TokenRejected, null);

        var credential = RunnerSecrets.NewCredential();
        var hardware = request.Hardware!;
        var runner = new Runner
        {
            Name = request.Name!,
            Labels = [.. (request.Labels ?? []).Concat(token.Labels).Distinct(StringComparer.Ordinal)],
            Hardware = hardware,
            HardwareClass = HardwareClass.Derive(hardware),
            TokenHash = RunnerSecrets.Hash(credential),
            State = RunnerState.Idle,
            Version = hardware.RunnerVersion,
            RegisteredAt = now,
            LastSeenAt = now,
        };
        db.Runners.Add(runner);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return (RegistrationOutcome.NameTaken, null);
        }
        token.UsedAt = now;
        token.UsedByRunnerId = runner.Id;
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (RegistrationOutcome.Registered, new RegisterRunnerResponse(runner.Id, runner.Name, credential, runner.HardwareClass, runner.Labels));
    }
}
