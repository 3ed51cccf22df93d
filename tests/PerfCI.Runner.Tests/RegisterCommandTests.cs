using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using PerfCI.Testing;

namespace PerfCI.Runner.Tests;

/// <summary>perfci-runner register against a real server process on real PostgreSQL.</summary>
public sealed class RegisterCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Register_SavesTheCredentialWithMode0600_AndATokenWorksOnce_AndARevokedRunnerStops()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(Register_SavesTheCredentialWithMode0600_AndATokenWorksOnce_AndARevokedRunnerStops));
        using var workdir = new TempDirectory();
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__PerfCI"] = connectionString };
        await using var tokenProcess = await ServerProcess.RunToExitAsync(["runner-token", "--labels", "gpu"], environment, workdir.Path, TimeSpan.FromSeconds(60));
        Assert.True(tokenProcess.ExitCode == 0, tokenProcess.Output);
        var token = tokenProcess.Output.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("perfci_reg_", StringComparison.Ordinal));
        var port = FreePort.Next();
        await using var server = ServerProcess.Start([], new Dictionary<string, string?>(environment) { ["Urls"] = $"http://127.0.0.1:{port}" }, workdir.Path);
        await server.WaitForOkAsync(new Uri($"http://127.0.0.1:{port}/health/ready"), TimeSpan.FromSeconds(90));
        var config = Path.Combine(workdir.Path, "runner", "runner.json");
        string[] register = ["register", "--server", $"http://127.0.0.1:{port}", "--token", token, "--name", "gpu-box-1", "--labels", "h100", "--config", config];

        var (first, firstOut, _) = await InvokeAsync(register);
        var (second, _, secondError) = await InvokeAsync(register);

        Assert.True(first == 0, firstOut);
        Assert.Contains("Registered 'gpu-box-1'", firstOut, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        var saved = await RunnerConfig.LoadAsync(config, Ct);
        Assert.StartsWith("perfci_run_", saved.Credential, StringComparison.Ordinal);
        Assert.Equal(["h100", "gpu"], saved.Labels);
        await using (var db = TestPostgres.CreateContext(connectionString))
            Assert.Equal(saved.RunnerId, (await db.Runners.SingleAsync(r => r.Name == "gpu-box-1", Ct)).Id);
        Assert.Equal(ExitCodes.Unauthorized, second);
        Assert.Contains("401 Registration token rejected", secondError, StringComparison.Ordinal);

        // Revoked: the agent stops at once with the exit code systemd does not restart on.
        await using (var db = TestPostgres.CreateContext(connectionString))
            await db.Runners.Where(r => r.Name == "gpu-box-1").ExecuteUpdateAsync(set => set.SetProperty(r => r.State, PerfCI.Core.Domain.RunnerState.Revoked), Ct);
        var (revoked, _, revokedError) = await InvokeAsync(["run", "--config", config, "--backoff-seconds", "1"]);
        Assert.Equal(ExitCodes.Unauthorized, revoked);
        Assert.Contains("Not restarting", revokedError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_SaysSo_WhenTheServerCannotBeReached()
    {
        var (exit, _, error) = await InvokeAsync(["register", "--server", $"http://127.0.0.1:{FreePort.Next()}", "--token", "perfci_reg_x", "--config", Path.Combine(Path.GetTempPath(), $"{Guid.NewGuid():N}.json")]);

        Assert.Equal(ExitCodes.ServerUnreachable, exit);
        Assert.StartsWith("perfci-runner register: cannot reach http://127.0.0.1:", error, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Output, string Error)> InvokeAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await RunnerCommandLine.Build().Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, Ct);
        return (exit, output.ToString(), error.ToString());
    }
}
