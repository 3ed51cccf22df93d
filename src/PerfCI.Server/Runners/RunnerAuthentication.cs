using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PerfCI.Core.Domain;
using PerfCI.Data;

namespace PerfCI.Server.Runners;

/// <summary>
/// A runner proves who it is with its credential as a bearer token. Unknown or revoked: 401, which
/// tells the runner to stop with its do-not-restart exit code.
/// </summary>
public sealed class RunnerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, PerfCiDbContext db)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Runner";
    public const string RunnerIdClaim = "perfci:runner_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
            return AuthenticateResult.NoResult();
        var credential = header["Bearer ".Length..].Trim();
        if (!credential.StartsWith(RunnerSecrets.CredentialPrefix, StringComparison.Ordinal))
            return AuthenticateResult.NoResult();
        var hash = RunnerSecrets.Hash(credential);
        var runner = await db.Runners.AsNoTracking()
            .Where(r => r.TokenHash == hash)
            .Select(r => new { r.Id, r.Name, r.State })
            .SingleOrDefaultAsync(Context.RequestAborted);
        if (runner is null)
            return AuthenticateResult.Fail("unknown runner credential");
        if (runner.State == RunnerState.Revoked)
            return AuthenticateResult.Fail("this runner was revoked");
        var identity = new ClaimsIdentity(
            [new Claim(RunnerIdClaim, runner.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Claim(ClaimTypes.Name, runner.Name)],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"perfci-runner\"";
        return Task.CompletedTask;
    }
}

public static class RunnerPrincipal
{
    public static long RunnerId(this ClaimsPrincipal user) =>
        long.Parse(user.FindFirstValue(RunnerAuthenticationHandler.RunnerIdClaim)!, System.Globalization.CultureInfo.InvariantCulture);
}
