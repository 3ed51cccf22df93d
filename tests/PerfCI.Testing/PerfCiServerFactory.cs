using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Server.Accounts;
using PerfCI.Server.Repositories;

namespace PerfCI.Testing;

/// <summary>
/// The PerfCI server in-process on its own database, with intent methods that read as the tests'
/// story (<see cref="CreateRepositoryAsync"/>). Calls that need a role go through
/// <see cref="CreateClientAsync(string, string?)"/> (an API token of a new user with that role).
/// </summary>
public sealed class PerfCiServerFactory(string connectionString, IReadOnlyDictionary<string, string>? settings = null) : WebApplicationFactory<Program>
{
    public string ConnectionString => connectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:PerfCI", connectionString);
        builder.UseSetting("Database:StartupTimeout", "00:00:05");
        builder.UseSetting("Jobs:WorkerCount", "2");
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            builder.UseSetting(key, value);
    }

    /// <summary>Registers a runner through the API; the client carries its credential.</summary>
    public async Task<(long Id, HttpClient Client)> RegisterRunnerAsync(string name, params string[] labels)
    {
        string token;
        await using (var scope = Services.CreateAsyncScope())
            token = await scope.ServiceProvider.GetRequiredService<PerfCI.Server.Runners.RunnerRegistration>().CreateTokenAsync([], TimeSpan.FromHours(1), "test", CancellationToken.None);
        var client = CreateClient();
        using var response = await client.PostAsJsonAsync("/api/runners/register", new
        {
            token, name, labels, hardware = new PerfCI.Core.Hardware.HardwareFingerprint { CpuModel = "test-cpu", CpuCores = 2 },
        });
        response.EnsureSuccessStatusCode();
        var registered = (await response.Content.ReadFromJsonAsync<PerfCI.Server.Runners.RegisterRunnerResponse>())!;
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", registered.Credential);
        return (registered.Id, client);
    }

    /// <summary>Queues one job of a run of a new commit (as run expansion will), needing these labels.</summary>
    public async Task<long> QueueJobAsync(string repository, params string[] requiredLabels)
    {
        await using var db = CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var parts = repository.Split('/');
        var repo = await db.Repositories.FirstOrDefaultAsync(r => r.Owner == parts[0] && r.Name == parts[1])
            ?? db.Repositories.Add(new PerfCI.Data.Entities.Repository { Owner = parts[0], Name = parts[1], CloneUrl = $"https://github.com/{repository}.git", CreatedAt = now }).Entity;
        var commit = new PerfCI.Data.Entities.Commit { Repository = repo, Sha = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(20)).ToLowerInvariant(), CommittedAt = now };
        var suite = await db.Suites.FirstOrDefaultAsync(s => s.RepositoryId == repo.Id && s.Name == "serving")
            ?? db.Suites.Add(new PerfCI.Data.Entities.Suite { Repository = repo, Name = "serving", CreatedAt = now }).Entity;
        var run = new PerfCI.Data.Entities.Run { Repository = repo, Commit = commit, Trigger = PerfCI.Core.Domain.RunTrigger.Manual, State = PerfCI.Core.Domain.RunState.Queued, CreatedAt = now };
        var job = new PerfCI.Data.Entities.Job
        {
            Run = run, Suite = suite, SuiteDefinition = "{\"name\":\"serving\"}", RequiredLabels = requiredLabels, State = PerfCI.Core.Domain.JobState.Queued, QueuedAt = now,
        };
        db.Jobs.Add(job);
        await db.SaveChangesAsync();
        return job.Id;
    }

    public PerfCI.Data.PerfCiDbContext CreateDbContext() => TestPostgres.CreateContext(connectionString);

    /// <summary>
    /// A new user with <paramref name="role"/> (<c>PerfCiRoles.Viewer</c>, <c>Maintainer</c> or <c>Admin</c>)
    /// and an email and password to sign in with (the dashboard's login form).
    /// </summary>
    /// <param name="email">
    /// The user's email, which is also the name the audit trail records; default: a new one. A user
    /// who already has it gets <paramref name="role"/> and a new password.
    /// </param>
    public async Task<(long Id, string Email, string Password)> CreateUserAsync(string role, string? email = null)
    {
        email ??= $"{role}-{Guid.NewGuid():N}@perfci.test";
        var password = "pw-" + Guid.NewGuid().ToString("N");
        await using var scope = Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<UserAccounts>();
        var result = await accounts.FindByEmailAsync(email, CancellationToken.None) is { } existing
            ? await accounts.SetPasswordAsync(existing.Id, password, CancellationToken.None) is { Succeeded: true }
                ? await accounts.SetRoleAsync(existing.Id, role, CancellationToken.None)
                : throw new InvalidOperationException($"Could not set the password of {email}.")
            : await accounts.CreateAsync(email, password, role, CancellationToken.None);
        if (!result.Succeeded)
            throw new InvalidOperationException("Could not create the user: " + string.Join("; ", result.Errors.SelectMany(e => e.Value)));
        return (result.User!.Id, email, password);
    }

    /// <summary>A new user with <paramref name="role"/> and an API token of theirs (<c>perfci_api_...</c>).</summary>
    public async Task<string> CreateApiTokenAsync(string role, string? email = null)
    {
        var (id, _, _) = await CreateUserAsync(role, email);
        await using var scope = Services.CreateAsyncScope();
        return (await scope.ServiceProvider.GetRequiredService<ApiTokens>().CreateAsync(id, "tests", CancellationToken.None)).Token;
    }

    /// <summary>
    /// A client that calls the API as a new user with <paramref name="role"/>, through an API token:
    /// <c>await factory.CreateClientAsync(PerfCiRoles.Maintainer)</c>. A plain <see cref="WebApplicationFactory{T}.CreateClient()"/> is anonymous.
    /// </summary>
    public async Task<HttpClient> CreateClientAsync(string role, string? email = null)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", await CreateApiTokenAsync(role, email));
        return client;
    }

    /// <summary>Registers a repository through the API, as an admin.</summary>
    public async Task<RepositoryDto> CreateRepositoryAsync(string owner, string name)
    {
        using var client = await CreateClientAsync(PerfCiRoles.Admin);
        using var response = await client.PostAsJsonAsync("/api/repositories", new { owner, name });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RepositoryDto>())!;
    }

    /// <summary>
    /// Makes a git repository of <paramref name="commits"/> commits under <paramref name="directory"/>
    /// and registers it as <c>local/NAME</c> with that clone URL, as an admin.
    /// </summary>
    public async Task<(string Repository, IReadOnlyList<string> Shas, GitRepository Git)> CreateGitRepositoryAsync(string directory, string name, int commits)
    {
        var git = GitRepository.Init(Path.Combine(directory, name));
        var shas = git.CommitMany(commits);
        using var client = await CreateClientAsync(PerfCiRoles.Admin);
        using var response = await client.PostAsJsonAsync("/api/repositories", new { owner = "local", name, cloneUrl = git.Path });
        response.EnsureSuccessStatusCode();
        return ($"local/{name}", shas, git);
    }

    /// <summary>
    /// Waits until Hangfire has nothing queued, running or waiting for a retry. A job that failed (or
    /// waits to retry after an exception) fails the wait with its exception, rather than a timeout;
    /// with <paramref name="waitForRetries"/>, a job scheduled to retry is waited for instead (a test of
    /// the retries themselves).
    /// </summary>
    public async Task WaitForBackgroundJobsAsync(TimeSpan? timeout = null, bool waitForRetries = false)
    {
        var monitoring = Services.GetRequiredService<Hangfire.JobStorage>().GetMonitoringApi();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        var idlePolls = 0;
        while (idlePolls < 2)
        {
            var retrying = monitoring.ScheduledJobs(0, 5).Select(j => $"{j.Value.Job?.Type.Name}.{j.Value.Job?.Method.Name} waits for a retry: "
                + monitoring.JobDetails(j.Key)?.History.FirstOrDefault(h => h.StateName == "Failed" || h.StateName == "Scheduled")?.Reason).ToList();
            var failed = monitoring.FailedJobs(0, 5).Select(j => $"{j.Value.Job?.Type.Name}.{j.Value.Job?.Method.Name}: {j.Value.ExceptionDetails}")
                .Concat(waitForRetries ? [] : retrying)
                .ToList();
            if (failed.Count > 0)
                throw new InvalidOperationException("Background jobs failed: " + string.Join("\n", failed));
            var busy = monitoring.Queues().Sum(q => q.Length) + monitoring.ProcessingCount() + (waitForRetries ? retrying.Count : 0);
            idlePolls = busy == 0 ? idlePolls + 1 : 0;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Background jobs still busy after {timeout ?? TimeSpan.FromSeconds(60)}: {busy} queued, running or retrying.\n{string.Join("\n", retrying)}");
            await Task.Delay(100);
        }
    }
}
