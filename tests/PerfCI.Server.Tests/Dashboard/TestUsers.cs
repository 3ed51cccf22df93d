using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.Dashboard;

/// <summary>
/// Users with roles, for the action services and their endpoints. Until the accounts (the identity
/// branch) are merged, the server has no user sign-in, so API requests made as a user carry their
/// name and roles in test headers that only this test scheme reads; the role checks under test are
/// the server's own.
/// </summary>
public static class TestUsers
{
    public const string Scheme = "TestUser";
    public const string UserHeader = "X-Test-User";
    public const string RolesHeader = "X-Test-Roles";

    public static ClaimsPrincipal Principal(string name, params string[] roles) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), .. roles.Select(r => new Claim(ClaimTypes.Role, r))], Scheme));

    public static ClaimsPrincipal Anonymous { get; } = new(new ClaimsIdentity());

    /// <summary>The server, where a request with the test headers is that user.</summary>
    public static Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> WithTestUsers(this PerfCiServerFactory server) =>
        server.WithWebHostBuilder(builder => builder.ConfigureTestServices(services =>
        {
            services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, HeaderUserHandler>(Scheme, null);
            services.PostConfigure<AuthenticationOptions>(options => options.DefaultAuthenticateScheme = Scheme);
        }));

    public static HttpClient As(this HttpClient client, string name, params string[] roles)
    {
        client.DefaultRequestHeaders.Add(UserHeader, name);
        client.DefaultRequestHeaders.Add(RolesHeader, string.Join(',', roles));
        return client;
    }

    private sealed class HeaderUserHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (Request.Headers[UserHeader].ToString() is not { Length: > 0 } name)
                return Task.FromResult(AuthenticateResult.NoResult());
            var roles = Request.Headers[RolesHeader].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(Principal(name, roles), TestUsers.Scheme)));
        }
    }
}
