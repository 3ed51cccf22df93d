using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PerfCI.Data;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Accounts;

/// <summary>
/// <c>Authorization: Bearer perfci_api_...</c>: the token's user, with that user's roles as they are
/// now (a role change applies at the next call). Unknown, revoked, or of a disabled user: 401.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    PerfCiDbContext db, UserManager<PerfCiUser> users, IUserClaimsPrincipalFactory<PerfCiUser> principals, TimeProvider time)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string TokenIdClaim = "perfci:api_token_id";

    public static bool HasApiToken(HttpRequest request) => Token(request) is not null;

    private static string? Token(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return null;
        var token = header["Bearer ".Length..].Trim();
        return token.StartsWith(ApiTokens.Prefix, StringComparison.Ordinal) ? token : null;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Token(Request) is not { } secret)
            return AuthenticateResult.NoResult();
        var hash = ApiTokens.Hash(secret);
        var token = await db.ApiTokens.AsNoTracking().Where(t => t.TokenHash == hash)
            .Select(t => new { t.Id, t.UserId, t.RevokedAt, t.LastUsedAt })
            .SingleOrDefaultAsync(Context.RequestAborted);
        if (token is null)
            return AuthenticateResult.Fail("unknown API token");
        if (token.RevokedAt is not null)
            return AuthenticateResult.Fail("this API token was revoked");
        var user = await users.FindByIdAsync(token.UserId.ToString(CultureInfo.InvariantCulture));
        if (user is null || user.DisabledAt is not null)
            return AuthenticateResult.Fail("the API token's user is disabled");

        var now = time.GetUtcNow();
        if (token.LastUsedAt is null || now - token.LastUsedAt >= ApiTokens.LastUsedResolution)
        {
            await db.ApiTokens.Where(t => t.Id == token.Id)
                .ExecuteUpdateAsync(set => set.SetProperty(t => t.LastUsedAt, now), Context.RequestAborted);
        }

        var identityPrincipal = await principals.CreateAsync(user);
        var identity = new ClaimsIdentity(identityPrincipal.Claims, Scheme.Name, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(TokenIdClaim, token.Id.ToString(CultureInfo.InvariantCulture)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ApiProblems.UnauthorizedAsync(Context, "The API token is unknown, revoked, or its user is disabled.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => ApiProblems.ForbiddenAsync(Context);
}
