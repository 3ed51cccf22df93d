using System.Security.Claims;
using PerfCI.Core.Domain;
using PerfCI.Ui.Actions;

namespace PerfCI.Ui.Settings;

public interface ISettingsQueries
{
    Task<IReadOnlyList<RepositoryItem>> RepositoriesAsync(CancellationToken cancellationToken);
    /// <summary>Whether GitHub is configured and how; never a secret.</summary>
    GitHubStatus GitHubStatus();
}

/// <summary>Repositories: add one, edit its settings; checked against the user's role (admin) on the server.</summary>
public interface IRepositoryActions
{
    Task<ActionOutcome<RepositoryItem>> AddAsync(ClaimsPrincipal user, NewRepository repository, CancellationToken cancellationToken);
    Task<ActionOutcome<RepositoryItem>> UpdateSettingsAsync(ClaimsPrincipal user, string owner, string name, RepositorySettings settings, CancellationToken cancellationToken);
}

public sealed record NewRepository(string? Owner, string? Name, string? CloneUrl, string? DefaultBranch);

public sealed record RepositoryItem(long Id, string Owner, string Name, string CloneUrl, string DefaultBranch, RepositorySettings Settings, bool GitHubAppInstalled)
{
    public string FullName => $"{Owner}/{Name}";
}

/// <param name="Mode">"app", "token" or "none".</param>
public sealed record GitHubStatus(string Mode, string ApiBaseUrl, bool WebhookSecretConfigured, long? AppId, string? PublicUrl);
