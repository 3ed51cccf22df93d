using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Accounts;

public sealed record ApiTokenView(long Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>A token as it is created: the secret is in this answer only; PerfCI keeps its SHA-256.</summary>
public sealed record CreatedApiToken(long Id, string Name, string Token, DateTimeOffset CreatedAt);

/// <summary>
/// API tokens for scripts: 32 random bytes, base64url, behind a prefix that says what they are (a
/// leaked one is recognisable, and the runner scheme can tell them from its own credentials).
/// </summary>
public sealed class ApiTokens(PerfCiDbContext db, TimeProvider time)
{
    public const string Prefix = "perfci_api_";
    public const int MaxNameLength = 100;

    /// <summary>How long a token's last-used time may lag: it is written at most this often.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public async Task<CreatedApiToken> CreateAsync(long userId, string name, CancellationToken cancellationToken)
    {
        var secret = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = new ApiToken
        {
            UserId = userId,
            Name = name.Trim(),
            TokenHash = Hash(secret),
            Prefix = secret[..(Prefix.Length + 6)],
            CreatedAt = time.GetUtcNow(),
        };
        db.ApiTokens.Add(token);
        await db.SaveChangesAsync(cancellationToken);
        return new CreatedApiToken(token.Id, token.Name, secret, token.CreatedAt);
    }

    public async Task<IReadOnlyList<ApiTokenView>> ListAsync(long userId, CancellationToken cancellationToken) =>
        await db.ApiTokens.AsNoTracking().Where(t => t.UserId == userId).OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.Id)
            .Select(t => new ApiTokenView(t.Id, t.Name, t.Prefix, t.CreatedAt, t.LastUsedAt, t.RevokedAt))
            .ToListAsync(cancellationToken);

    /// <summary>Revokes one of the user's tokens; false when the user has no such token. Revoking twice is harmless.</summary>
    public async Task<bool> RevokeAsync(long userId, long tokenId, CancellationToken cancellationToken)
    {
        if (!await db.ApiTokens.AnyAsync(t => t.Id == tokenId && t.UserId == userId, cancellationToken))
            return false;
        var now = time.GetUtcNow();
        await db.ApiTokens.Where(t => t.Id == tokenId && t.RevokedAt == null)
            .ExecuteUpdateAsync(set => set.SetProperty(t => t.RevokedAt, now), cancellationToken);
        return true;
    }

    public static Dictionary<string, string[]> ValidateName(string? name)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name) || name.Trim().Length > MaxNameLength)
            errors["name"] = [$"Required: what the token is for, at most {MaxNameLength} characters."];
        return errors;
    }
}
