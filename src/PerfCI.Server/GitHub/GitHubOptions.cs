namespace PerfCI.Server.GitHub;

/// <summary>
/// How PerfCI talks to GitHub (or GitHub Enterprise Server): a GitHub App (preferred) or a token.
/// Secrets come from the environment or a secret store, never from the repository.
/// </summary>
public sealed class GitHubOptions
{
    public const string SectionName = "GitHub";

    /// <summary>The REST API root: https://api.github.com, or https://HOST/api/v3 for Enterprise Server.</summary>
    public Uri ApiBaseUrl { get; set; } = new("https://api.github.com/");

    /// <summary>The shared secret of the webhook: every delivery's X-Hub-Signature-256 is checked against it.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>A GitHub App's id; with <see cref="PrivateKeyPem"/> PerfCI authenticates as the App's installations.</summary>
    public long? AppId { get; set; }

    /// <summary>The App's private key (PEM), or a path to it in <see cref="PrivateKeyPath"/>.</summary>
    public string? PrivateKeyPem { get; set; }

    public string? PrivateKeyPath { get; set; }

    /// <summary>A personal access or fine-grained token, used when no App is configured.</summary>
    public string? Token { get; set; }

    /// <summary>Where links in comments and check runs point: the dashboard's public address.</summary>
    public Uri? PublicUrl { get; set; }
}
