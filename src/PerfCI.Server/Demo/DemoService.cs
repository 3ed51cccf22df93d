using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using System.Security.Cryptography;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Data;
using PerfCI.Data.Entities;
using PerfCI.Server.Accounts;
using PerfCI.Server.Analysis;
using PerfCI.Server.Runners;
using PerfCI.Server.Runs;

namespace PerfCI.Server.Demo;

/// <summary>
/// Once the server listens: makes the demo repository (first start only), registers it, queues a run
/// of each of its benchmarked commits that has none yet (oldest first, so the trends fill in in
/// order), registers and starts the local runner, makes the demo login (an admin), and prints where
/// to look and how to sign in. Every step finds what an
/// earlier start made and keeps it. A demo that cannot start says why and leaves the server serving.
/// </summary>
public sealed partial class DemoService(
    IOptions<DemoOptions> options,
    IHostApplicationLifetime lifetime,
    IServer server,
    IServiceScopeFactory scopes,
    TimeProvider time,
    ILogger<DemoService> logger) : BackgroundService
{
    public const string RequestedBy = "demo";

    private DemoRunner? _runner;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await StartedAsync(stoppingToken))
            return;
        try
        {
            await StartDemoAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped while starting.
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException or DbUpdateException or System.ComponentModel.Win32Exception)
        {
            logger.LogError(e, "The demo could not start: {Reason} (set Demo__Enabled=false to turn it off)", e.Message);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (Interlocked.Exchange(ref _runner, null) is { } runner)
        {
            logger.LogInformation("Stopping the demo runner");
            await runner.DisposeAsync();
        }
    }

    private async Task StartDemoAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var root = Path.GetFullPath(settings.Directory);
        var url = ServerUrl();
        var tools = DemoTools.Locate(settings.RunnerPath);

        var repositoryPath = Path.Combine(root, DemoRepository.Name);
        var commits = await DemoRepository.EnsureAsync(repositoryPath, ct);
        var repositoryId = await EnsureRepositoryAsync(repositoryPath, ct);
        var queued = await QueueRunsAsync(repositoryId, commits, ct);

        var runner = new DemoRunner(tools, Path.Combine(root, "runner"), logger);
        await EnsureRegisteredAsync(runner, url, ct);
        await runner.StartAsync(ct);
        _runner = runner;
        var password = await EnsureLoginAsync(settings.AdminEmail, Path.Combine(root, "login"), ct);

        logger.LogInformation("Demo: repository {Repository} at {Path}, {Queued} runs queued, runner log {Log}",
            $"{DemoRepository.Owner}/{DemoRepository.Name}", repositoryPath, queued, runner.LogPath);
        // For the person who just typed the README's first command: the lines to act on.
        await Console.Out.WriteLineAsync($"PerfCI is at {url} — demo login: {settings.AdminEmail} / {password}");
        await Console.Out.WriteLineAsync($"Demo: repository {DemoRepository.Owner}/{DemoRepository.Name}, {queued} runs queued for a local runner (log: {runner.LogPath})");
    }

    /// <summary>
    /// The demo's admin, created on the first start with a generated password kept (mode 0600) in
    /// <paramref name="passwordFile"/>, so that every start can print it. A password file that went
    /// missing gets a new password.
    /// </summary>
    private async Task<string> EnsureLoginAsync(string email, string passwordFile, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<UserAccounts>();
        var existing = await accounts.FindByEmailAsync(email, ct);
        if (existing is not null && File.Exists(passwordFile))
            return (await File.ReadAllTextAsync(passwordFile, ct)).Trim();

        var password = "demo-" + RandomNumberGenerator.GetString("abcdefghjkmnpqrstuvwxyz23456789", 12);
        var result = existing is null
            ? await accounts.CreateAsync(email, password, PerfCiRoles.Admin, ct)
            : await accounts.SetPasswordAsync(existing.Id, password, ct);
        if (!result.Succeeded)
            throw new InvalidOperationException($"the demo login {email} could not be made: {string.Join("; ", result.Errors.SelectMany(e => e.Value))}");
        var secret = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await using (var writer = new StreamWriter(passwordFile, secret))
            await writer.WriteAsync(password.AsMemory(), ct);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        logger.LogInformation("Demo login {Email} created as an admin", email);
        return password;
    }

    /// <summary>The demo's repository, registered with its local path as clone URL (which follows the checkout if it moved).</summary>
    private async Task<long> EnsureRepositoryAsync(string path, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PerfCiDbContext>();
        var repository = await db.Repositories.SingleOrDefaultAsync(r => r.Owner == DemoRepository.Owner && r.Name == DemoRepository.Name, ct);
        if (repository is null)
        {
            repository = db.Repositories.Add(new Repository
            {
                Owner = DemoRepository.Owner,
                Name = DemoRepository.Name,
                CloneUrl = path,
                DefaultBranch = DemoRepository.Branch,
                CreatedAt = time.GetUtcNow(),
            }).Entity;
        }
        else
        {
            repository.CloneUrl = path;
        }
        await db.SaveChangesAsync(ct);
        return repository.Id;
    }

    /// <summary>
    /// A run for each benchmarked commit that has none, created and expanded one after the other so
    /// that their jobs queue (and are claimed) oldest commit first. Runs an earlier start created but
    /// did not expand are expanded now. Returns how many runs wait for the runner.
    /// </summary>
    private async Task<int> QueueRunsAsync(long repositoryId, IReadOnlyList<DemoCommit> commits, CancellationToken ct)
    {
        List<long> toExpand;
        await using (var scope = scopes.CreateAsyncScope())
        {
            // The commits with their first-parent positions and dates, as for a push.
            await scope.ServiceProvider.GetRequiredService<CommitHistory>().RefreshAsync(repositoryId, ct);
            var db = scope.ServiceProvider.GetRequiredService<PerfCiDbContext>();
            var shas = commits.Where(c => c.Benchmarked).Select(c => c.Sha).ToList();
            var ids = await db.Commits.Where(c => c.RepositoryId == repositoryId && shas.Contains(c.Sha)).ToDictionaryAsync(c => c.Sha, c => c.Id, ct);
            var measured = (await db.Runs.Where(r => r.RepositoryId == repositoryId && r.Trigger != RunTrigger.Bisect).Select(r => r.CommitId).ToListAsync(ct)).ToHashSet();
            foreach (var sha in shas.Where(s => ids.ContainsKey(s) && !measured.Contains(ids[s])))
            {
                db.Runs.Add(new Run
                {
                    RepositoryId = repositoryId, CommitId = ids[sha], Trigger = RunTrigger.Manual, State = RunState.Pending,
                    RequestedBy = RequestedBy, CreatedAt = time.GetUtcNow(),
                });
                await db.SaveChangesAsync(ct);
            }
            toExpand = await db.Runs.Where(r => r.RepositoryId == repositoryId && r.State == RunState.Pending && r.Trigger == RunTrigger.Manual)
                .OrderBy(r => r.Commit.FirstParentPosition).ThenBy(r => r.Id).Select(r => r.Id).ToListAsync(ct);
        }
        foreach (var runId in toExpand)
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ExpandRunJob>().RunAsync(runId, ct);
        }
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PerfCiDbContext>();
            return await db.Jobs.CountAsync(j => j.Run.RepositoryId == repositoryId && (j.State == JobState.Queued || j.State == JobState.Running), ct);
        }
    }

    /// <summary>Keeps the runner registered earlier when the server still knows its credential; registers a new one otherwise.</summary>
    private async Task EnsureRegisteredAsync(DemoRunner runner, string url, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PerfCiDbContext>();
        if (await runner.ReadCredentialAsync(ct) is var (runnerId, credential))
        {
            var hash = RunnerSecrets.Hash(credential);
            if (await db.Runners.AnyAsync(r => r.Id == runnerId && r.State != RunnerState.Revoked && r.TokenHash == hash, ct))
            {
                await runner.UseServerAsync(url, ct);
                return;
            }
        }
        // A name another database row holds (a demo directory deleted, its database kept) gets a number.
        var names = (await db.Runners.Where(r => EF.Functions.Like(r.Name, DemoRunner.RunnerName + "%")).Select(r => r.Name).ToListAsync(ct)).ToHashSet();
        var name = Enumerable.Range(1, names.Count + 1).Select(n => n == 1 ? DemoRunner.RunnerName : $"{DemoRunner.RunnerName}-{n}").First(n => !names.Contains(n));
        var token = await scope.ServiceProvider.GetRequiredService<RunnerRegistration>().CreateTokenAsync(
            [DemoRepository.RunnerLabel], TimeSpan.FromMinutes(10), RequestedBy, ct);
        await runner.RegisterAsync(url, token, name, ct);
        logger.LogInformation("Demo runner registered as {Name}", name);
    }

    /// <summary>Where this server listens, as the runner (on this machine) reaches it.</summary>
    private string ServerUrl()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("the server listens nowhere");
        return AnyHost().Replace(address, "://127.0.0.1${port}").TrimEnd('/');
    }

    [GeneratedRegex(@"://(\*|\+|0\.0\.0\.0|\[::\])(?<port>:\d+)?")]
    private static partial Regex AnyHost();

    private async Task<bool> StartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
