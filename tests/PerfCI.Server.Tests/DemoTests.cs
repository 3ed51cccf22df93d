using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Npgsql;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data.Entities;
using PerfCI.Server.Demo;
using PerfCI.Testing;

namespace PerfCI.Server.Tests;

/// <summary>
/// The README's first command, as a new user runs it: the server process with no database
/// configured, in an empty directory. It makes its own PostgreSQL, the demo repository, a runner
/// process and runs of the demo's history; a restart keeps all of it.
/// </summary>
public sealed class DemoTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FirstStart_MakesTheDemoRepository_ARunnerComesOnline_RunsSucceed_AndARestartKeepsThem()
    {
        using var workdir = new TempDirectory();
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var environment = new Dictionary<string, string?> { ["Urls"] = url, ["Runners__ClaimWait"] = "00:00:05" };
        try
        {
            // First start.
            var started = Stopwatch.StartNew();
            await using (var server = ServerProcess.Start([], environment, workdir.Path))
            {
                await server.WaitForOutputAsync($"PerfCI is at {url}", TimeSpan.FromMinutes(3));
                using var http = new HttpClient { BaseAddress = new Uri(url) };

                var repository = await http.GetFromJsonAsync<JsonElement>("/api/repositories/demo/engine", Ct);
                var clonePath = repository.GetProperty("cloneUrl").GetString()!;
                Assert.Equal(Path.Combine(workdir.Path, ".perfci", "demo", "engine"), clonePath);
                var history = Git(clonePath, "log", "--format=%H", "main").Split('\n', StringSplitOptions.RemoveEmptyEntries);
                Assert.Equal(DemoRepository.CommitCount, history.Length);

                await using var db = TestPostgres.CreateContext(EmbeddedConnectionString(workdir.Path, server.Output));
                var runs = await db.Runs.Where(r => r.Repository.Name == DemoRepository.Name).OrderBy(r => r.Id)
                    .Select(r => new { r.Id, r.Commit.FirstParentPosition }).ToListAsync(Ct);
                // Every commit but the four around the two changes, oldest first.
                Assert.Equal(DemoRepository.CommitCount - 4, runs.Count);
                Assert.Equal(runs.Select(r => r.FirstParentPosition).Order(), runs.Select(r => r.FirstParentPosition));

                var runner = await WaitForAsync(async () =>
                {
                    var runners = await http.GetFromJsonAsync<JsonElement>("/api/runners", Ct);
                    return runners.EnumerateArray().FirstOrDefault(r => r.GetProperty("name").GetString() == DemoRunner.RunnerName && r.GetProperty("lastSeenAt").ValueKind == JsonValueKind.String
                        && r.GetProperty("lastSeenAt").GetDateTimeOffset() > r.GetProperty("registeredAt").GetDateTimeOffset());
                }, r => r.ValueKind == JsonValueKind.Object, TimeSpan.FromMinutes(2), server, workdir.Path);
                Assert.Contains(DemoRepository.RunnerLabel, runner.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));

                // The first three commits' runs succeed, with measurements of the demo's scenario.
                var firstThree = runs.Take(3).Select(r => r.Id).ToList();
                var states = await WaitForAsync(
                    () => db.Runs.AsNoTracking().Where(r => firstThree.Contains(r.Id)).Select(r => r.State).ToListAsync(Ct),
                    s => s.All(state => state >= RunState.Succeeded), TimeSpan.FromMinutes(6), server, workdir.Path);
                Assert.All(states, state => Assert.Equal(RunState.Succeeded, state));
                var measured = await db.Measurements.Where(m => firstThree.Contains(m.RunId) && m.Series.Scenario == "chat@c1" && m.Series.Metric == "ttft_p50")
                    .Select(m => m.Samples.Length).ToListAsync(Ct);
                Assert.Equal(3, measured.Count);
                Assert.All(measured, trials => Assert.Equal(3, trials)); // one sample per trial
                TestContext.Current.SendDiagnosticMessage($"Demo: three runs succeeded {started.Elapsed} after the server process started.");

                // The printed login is an admin's, and its password is the one printed.
                var password = LoginPassword(server.Output);
                await AssertAdminAsync(db, password);

                // Stopping the server stops the runner and its engine.
                server.Terminate();
                await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
                Assert.Equal(0, server.ExitCode);
                Assert.Empty(ProcessesUnder(workdir.Path));
            }

            // Second start: the same repository, runner and runs; nothing is made twice.
            await using (var server = ServerProcess.Start([], environment, workdir.Path))
            {
                await server.WaitForOutputAsync($"PerfCI is at {url}", TimeSpan.FromMinutes(3));
                Assert.DoesNotContain("registered as", server.Output, StringComparison.Ordinal);
                await using var db = TestPostgres.CreateContext(EmbeddedConnectionString(workdir.Path, server.Output));
                Assert.Equal(1, await db.Repositories.CountAsync(Ct));
                Assert.Equal(1, await db.Runners.CountAsync(Ct));
                Assert.Equal(DemoRepository.CommitCount - 4, await db.Runs.CountAsync(Ct));
                Assert.Equal(1, await db.Users.CountAsync(Ct));
                await AssertAdminAsync(db, LoginPassword(server.Output));
                server.Terminate();
                await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
                Assert.Equal(0, server.ExitCode);
            }
            Assert.Empty(ProcessesUnder(workdir.Path));
        }
        finally
        {
            StopLeftoverPostgres(workdir.Path);
        }
    }

    [Theory]
    [InlineData(null, "", true)]                                       // the README's first command
    [InlineData(null, "Host=db;Database=perfci;Username=perfci", false)] // a real deployment
    [InlineData("true", "Host=db;Database=perfci;Username=perfci", true)]
    [InlineData("false", "", false)]
    public void Demo_IsOnByDefault_OnlyWithTheEmbeddedDatabase(string? enabled, string connectionString, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Demo:Enabled"] = enabled,
            ["ConnectionStrings:PerfCI"] = connectionString,
        }).Build();

        Assert.Equal(expected, DemoExtensions.IsEnabled(configuration));
    }

    /// <summary>The password of the line "PerfCI is at URL — demo login: EMAIL / PASSWORD".</summary>
    private static string LoginPassword(string output)
    {
        var line = output.Split('\n').Single(l => l.StartsWith("PerfCI is at ", StringComparison.Ordinal));
        Assert.Contains("— demo login: demo@perfci.local / ", line, StringComparison.Ordinal);
        return line[(line.LastIndexOf(" / ", StringComparison.Ordinal) + 3)..].Trim();
    }

    private static async Task AssertAdminAsync(PerfCI.Data.PerfCiDbContext db, string password)
    {
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Email == "demo@perfci.local", Ct);
        var roles = await db.UserRoles.Where(ur => ur.UserId == user.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name).ToListAsync(Ct);
        Assert.Equal([PerfCiRoles.Admin], roles);
        Assert.NotEqual(PasswordVerificationResult.Failed, new PasswordHasher<PerfCiUser>().VerifyHashedPassword(user, user.PasswordHash!, password));
    }

    /// <summary>The embedded cluster's connection: its port from the server's log line, its password from its file.</summary>
    private static string EmbeddedConnectionString(string workdir, string output)
    {
        var line = output.Split('\n').Last(l => l.Contains("Using the local PostgreSQL cluster in", StringComparison.Ordinal));
        var port = int.Parse(line[(line.LastIndexOf(' ') + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Database = "perfci", Username = "perfci",
            Password = File.ReadAllText(Path.Combine(workdir, ".perfci", "postgres", "password")).Trim(),
        }.ConnectionString;
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, ServerProcess server, string workdir)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (server.HasExited || DateTime.UtcNow > deadline)
            {
                var runnerLog = Path.Combine(workdir, ".perfci", "demo", "runner", "runner.log");
                throw new TimeoutException($"Not reached within {timeout}: {JsonSerializer.Serialize(value)}\nServer output:\n{server.Output}\n" +
                    $"Runner log:\n{(File.Exists(runnerLog) ? await File.ReadAllTextAsync(runnerLog) : "(none)")}");
            }
            await Task.Delay(500, Ct);
        }
    }

    /// <summary>Processes (other than PostgreSQL's) whose command line names <paramref name="directory"/>: the runner and its engines.</summary>
    private static List<string> ProcessesUnder(string directory)
    {
        var found = new List<string>();
        foreach (var proc in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(proc), out _))
                continue;
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(proc, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(directory, StringComparison.Ordinal) && !commandLine.Contains("postgres", StringComparison.Ordinal))
                    found.Add(commandLine);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }
        return found;
    }

    /// <summary>A server that was killed cannot stop its PostgreSQL: fast shutdown through the postmaster's pid.</summary>
    private static void StopLeftoverPostgres(string workdir)
    {
        var pidFile = Path.Combine(workdir, ".perfci", "postgres", "data", "postmaster.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid))
            return;
        try
        {
            using var postmaster = Process.GetProcessById(pid);
            using var kill = Process.Start("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
            postmaster.WaitForExit(TimeSpan.FromSeconds(30));
        }
        catch (ArgumentException)
        {
            // Already stopped.
        }
    }

    private static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {process.StandardError.ReadToEnd()}");
        return output;
    }
}
