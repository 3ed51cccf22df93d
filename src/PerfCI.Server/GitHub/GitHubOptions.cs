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

    /// <summary>The App's private key: <see cref="PrivateKeyPem"/>, else the file at <see cref="PrivateKeyPath"/>; null when neither is set.</summary>
    public string? ReadPrivateKey() =>
        !string.IsNullOrWhiteSpace(PrivateKeyPem) ? PrivateKeyPem
        : !string.IsNullOrWhiteSpace(PrivateKeyPath) ? File.ReadAllText(PrivateKeyPath)
        : null;

    /// <summary>What is wrong with the settings, for ValidateOnStart; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (!ApiBaseUrl.IsAbsoluteUri || ApiBaseUrl.Scheme is not ("https" or "http"))
            yield return "GitHub:ApiBaseUrl must be an absolute http(s) URL (https://api.github.com/ or https://HOST/api/v3/).";
        if (PublicUrl is { IsAbsoluteUri: false })
            yield return "GitHub:PublicUrl must be an absolute URL.";
        if (AppId is not null && string.IsNullOrWhiteSpace(PrivateKeyPem) && string.IsNullOrWhiteSpace(PrivateKeyPath))
            yield return "GitHub:AppId needs the App's private key: GitHub:PrivateKeyPem or GitHub:PrivateKeyPath.";
        if (AppId is null && (!string.IsNullOrWhiteSpace(PrivateKeyPem) || !string.IsNullOrWhiteSpace(PrivateKeyPath)))
            yield return "GitHub:PrivateKeyPem/PrivateKeyPath is set but GitHub:AppId is not.";
        if (AppId is <= 0)
            yield return "GitHub:AppId must be the App's positive id.";
        if (!string.IsNullOrWhiteSpace(PrivateKeyPath) && string.IsNullOrWhiteSpace(PrivateKeyPem) && !File.Exists(PrivateKeyPath))
            yield return $"GitHub:PrivateKeyPath: there is no file {PrivateKeyPath}.";
        else if (AppId is not null && ReadPrivateKey() is { } pem && !IsRsaKey(pem))
            yield return "GitHub:PrivateKeyPem/PrivateKeyPath is not an RSA private key in PEM (the .pem file GitHub gives for the App).";
    }

    private static bool IsRsaKey(string pem)
    {
        using var rsa = System.Security.Cryptography.RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }
}
