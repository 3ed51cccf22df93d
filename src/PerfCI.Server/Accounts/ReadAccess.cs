using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace PerfCI.Server.Accounts;

/// <summary>Reading: anyone while <see cref="AccessOptions.PublicRead"/> is on, else any signed-in user.</summary>
public sealed class ReadRequirement : IAuthorizationRequirement;

internal sealed class ReadAccessHandler(IOptionsMonitor<AccessOptions> options) : AuthorizationHandler<ReadRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ReadRequirement requirement)
    {
        if (options.CurrentValue.PublicRead || context.User.Identity?.IsAuthenticated == true)
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
