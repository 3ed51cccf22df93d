using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PerfCI.Data;
using PerfCI.Server.GitHub;
using PerfCI.Server.Repositories;
using PerfCI.Ui.Settings;

namespace PerfCI.Server.Dashboard;

/// <summary>The settings page's reads. GitHub's status says what is configured, never a secret.</summary>
public sealed class SettingsQueries(IDbContextFactory<PerfCiDbContext> contexts, IOptions<GitHubOptions> github) : ISettingsQueries
{
    public async Task<IReadOnlyList<RepositoryItem>> RepositoriesAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var repositories = await db.Repositories.AsNoTracking().OrderBy(r => r.Owner).ThenBy(r => r.Name).ToListAsync(cancellationToken);
        return [.. repositories.Select(RepositoryAdministration.Item)];
    }

    public GitHubStatus GitHubStatus()
    {
        var options = github.Value;
        var mode = options.AppId is not null ? "app" : !string.IsNullOrWhiteSpace(options.Token) ? "token" : "none";
        return new GitHubStatus(mode, options.ApiBaseUrl.ToString(), !string.IsNullOrWhiteSpace(options.WebhookSecret), options.AppId, options.PublicUrl?.ToString());
    }
}
