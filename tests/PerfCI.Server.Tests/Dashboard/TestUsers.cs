using System.Security.Claims;

namespace PerfCI.Server.Tests.Dashboard;

/// <summary>Principals as the dashboard hands them to the action services (a signed-in user with a role claim).</summary>
public static class TestUsers
{
    public static ClaimsPrincipal Principal(string name, params string[] roles) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), .. roles.Select(r => new Claim(ClaimTypes.Role, r))], "Identity.Application"));

    public static ClaimsPrincipal Anonymous { get; } = new(new ClaimsIdentity());
}
