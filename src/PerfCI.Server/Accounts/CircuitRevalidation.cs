using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using PerfCI.Data.Entities;

namespace PerfCI.Server.Accounts;

/// <summary>
/// A dashboard circuit keeps the user it started with; this checks it against the database every
/// minute, so that a disabled account or a changed role (both renew the security stamp) ends the
/// circuit's session rather than living on in an open tab.
/// </summary>
internal sealed class CircuitRevalidation(ILoggerFactory loggerFactory, IServiceScopeFactory scopes, IOptions<IdentityOptions> options)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var principal = authenticationState.User;
        if (principal.Identity?.IsAuthenticated != true)
            return true;
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PerfCiUser>>();
        var user = await users.GetUserAsync(principal);
        if (user is null || user.DisabledAt is not null)
            return false;
        return principal.FindFirstValue(options.Value.ClaimsIdentity.SecurityStampClaimType) == await users.GetSecurityStampAsync(user);
    }
}
