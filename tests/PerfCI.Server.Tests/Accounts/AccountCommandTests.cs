using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Server.Accounts;
using PerfCI.Server.Hosting;
using PerfCI.Testing;

namespace PerfCI.Server.Tests.Accounts;

/// <summary><c>perfci create-admin</c> and <c>perfci api-token</c> against a real database.</summary>
public sealed class AccountCommandTests(DatabaseFixture database) : IClassFixture<DatabaseFixture>, IAsyncLifetime
{
    private PerfCiServerFactory _server = null!;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = new PerfCiServerFactory(database.ConnectionString);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task CreateAdmin_WithThePasswordOnStandardInput_ThenApiTokenCreate_GivesAnAdminsToken()
    {
        var (created, createdOutput) = await RunAsync(["create-admin", "--email", "root@perfci.test"], stdin: "a-long-enough-password\n");
        var (tokenExit, tokenOutput) = await RunAsync(["api-token", "create", "--user", "root@perfci.test", "--name", "nightly"]);

        Assert.True(created == ExitCodes.Success, createdOutput);
        Assert.Contains("Created the admin root@perfci.test", createdOutput, StringComparison.Ordinal);
        Assert.True(tokenExit == ExitCodes.Success, tokenOutput);
        var token = tokenOutput.Split('\n')[0].Trim();
        Assert.StartsWith(ApiTokens.Prefix, token, StringComparison.Ordinal);
        using var client = _server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        using var users = await client.GetAsync("/api/users", Ct);
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
    }

    [Fact]
    public async Task CreateAdmin_OnAnExistingViewer_MakesThemAdmin()
    {
        var viewer = await _server.CreateUserAsync(PerfCiRoles.Viewer);

        var (exit, output) = await RunAsync(["create-admin", "--email", viewer.Email]);

        Assert.True(exit == ExitCodes.Success, output);
        await using var scope = _server.Services.CreateAsyncScope();
        var user = await scope.ServiceProvider.GetRequiredService<UserAccounts>().FindAsync(viewer.Id, Ct);
        Assert.Equal(PerfCiRoles.Admin, user!.Role);
    }

    [Theory]
    [InlineData("not-an-email", "a-long-enough-password", "--email")]
    [InlineData("short@perfci.test", "short", "--password")]
    [InlineData("nopassword@perfci.test", "", "--password")]
    public async Task CreateAdmin_RefusesBadInput_NamingTheOption(string email, string password, string option)
    {
        var (exit, output) = await RunAsync(["create-admin", "--email", email], stdin: password + "\n");

        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains(option, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiTokenCreate_RefusesAnUnknownUser()
    {
        var (exit, output) = await RunAsync(["api-token", "create", "--user", "nobody@perfci.test", "--name", "x"]);

        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains("--user", output, StringComparison.Ordinal);
    }

    /// <summary>The command as <c>perfci</c> parses it, on this class's database, with <paramref name="stdin"/> as standard input.</summary>
    private async Task<(int Exit, string Output)> RunAsync(string[] args, string stdin = "")
    {
        var root = new RootCommand { AccountCommands.CreateAdmin(() => new StringReader(stdin)), AccountCommands.ApiToken() };
        using var output = new StringWriter();
        var exit = await root.Parse([.. args, $"--ConnectionStrings:PerfCI={_server.ConnectionString}"])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);
        return (exit, output.ToString());
    }
}
