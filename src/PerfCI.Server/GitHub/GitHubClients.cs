using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Octokit;
using Octokit.Internal;
using PerfCI.Data;

namespace PerfCI.Server.GitHub;

/// <summary>
/// Octokit clients for the configured GitHub (or Enterprise Server): as a GitHub App, one client per
/// installation whose token is fetched with the App's JWT and kept until five minutes before it
/// expires; or with a token. Clients are kept for the life of the server, so that each holds one
/// HttpClient rather than one per call.
/// </summary>
public sealed class GitHubClients : IDisposable
{
    /// <summary>An installation token is renewed when it has less than this left.</summary>
    public static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(5);

    private static readonly ProductHeaderValue Product = new("PerfCI", typeof(GitHubClients).Assembly.GetName().Version?.ToString(3) ?? "0");

    private readonly GitHubOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<GitHubClients> _logger;
    private readonly RSA? _appKey;
    private readonly Lazy<GitHubClient> _appClient;
    private readonly Lazy<GitHubClient> _tokenClient;
    private readonly ConcurrentDictionary<long, Lazy<(GitHubClient Client, InstallationCredentials Credentials)>> _installations = new();

    public GitHubClients(IOptions<GitHubOptions> options, TimeProvider time, ILogger<GitHubClients> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        if (_options.AppId is not null && _options.ReadPrivateKey() is { } pem)
        {
            _appKey = RSA.Create();
            _appKey.ImportFromPem(pem);
        }
        _appClient = new(() => new GitHubClient(Product, new AppCredentials(this), _options.ApiBaseUrl));
        _tokenClient = new(() => new GitHubClient(Product, new InMemoryCredentialStore(new Credentials(_options.Token)), _options.ApiBaseUrl));
    }

    /// <summary>False when neither an App nor a token is configured: nothing is reported to GitHub.</summary>
    public bool Enabled => _appKey is not null || !string.IsNullOrEmpty(_options.Token);

    /// <summary>Check runs need an App; with a token, PerfCI reports commit statuses.</summary>
    public bool UsesApp => _appKey is not null;

    /// <summary>
    /// The client for a repository: its installation's when the App is used (looked up and stored the
    /// first time, if no webhook has named it yet), else the token's.
    /// </summary>
    public async Task<IGitHubClient> ForRepositoryAsync(PerfCiDbContext db, long repositoryId, CancellationToken cancellationToken)
    {
        if (_appKey is null)
            return _tokenClient.Value;
        var repository = await db.Repositories.SingleAsync(r => r.Id == repositoryId, cancellationToken);
        if (repository.GitHubInstallationId is not { } installationId)
        {
            installationId = (await _appClient.Value.GitHubApps.GetRepositoryInstallationForCurrent(repository.Owner, repository.Name)).Id;
            await db.Repositories.Where(r => r.Id == repositoryId).ExecuteUpdateAsync(set => set.SetProperty(r => r.GitHubInstallationId, installationId), cancellationToken);
            _logger.LogInformation("{Repository} is covered by installation {Installation} of the App", repository.FullName, installationId);
        }
        return _installations.GetOrAdd(installationId, id => new(() =>
        {
            var credentials = new InstallationCredentials(this, id);
            return (new GitHubClient(Product, credentials, _options.ApiBaseUrl), credentials);
        })).Value.Client;
    }

    public void Dispose()
    {
        foreach (var installation in _installations.Values.Where(i => i.IsValueCreated))
            installation.Value.Credentials.Dispose();
        _appKey?.Dispose();
    }

    /// <summary>
    /// An App's JSON web token: RS256 over {iat, exp, iss}, backdated a minute for clock drift and valid
    /// nine (GitHub refuses more than ten).
    /// </summary>
    public static string AppJwt(RSA key, long appId, DateTimeOffset now)
    {
        var header = Base64Url("""{"alg":"RS256","typ":"JWT"}"""u8);
        var payload = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, long>
        {
            ["iat"] = now.AddSeconds(-60).ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(9).ToUnixTimeSeconds(),
            ["iss"] = appId,
        }));
        var signature = key.SignData(Encoding.ASCII.GetBytes($"{header}.{payload}"), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{header}.{payload}.{Base64Url(signature)}";
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A fresh JWT for each request of the App itself (they are few: token exchanges and installation look-ups).</summary>
    private sealed class AppCredentials(GitHubClients owner) : ICredentialStore
    {
        public Task<Credentials> GetCredentials() =>
            Task.FromResult(new Credentials(AppJwt(owner._appKey!, owner._options.AppId!.Value, owner._time.GetUtcNow()), AuthenticationType.Bearer));
    }

    /// <summary>An installation's token, exchanged for the App's JWT when there is none or it is about to expire; one exchange at a time.</summary>
    private sealed class InstallationCredentials(GitHubClients owner, long installationId) : ICredentialStore, IDisposable
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private AccessToken? _token;

        public async Task<Credentials> GetCredentials()
        {
            var token = _token;
            if (token is null || token.ExpiresAt - owner._time.GetUtcNow() < RenewBefore)
            {
                await _gate.WaitAsync();
                try
                {
                    token = _token;
                    if (token is null || token.ExpiresAt - owner._time.GetUtcNow() < RenewBefore)
                    {
                        _token = token = await owner._appClient.Value.GitHubApps.CreateInstallationToken(installationId);
                        owner._logger.LogInformation("New token for installation {Installation}, valid until {ExpiresAt}", installationId, token.ExpiresAt);
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
            return new Credentials(token.Token, AuthenticationType.Bearer);
        }

        public void Dispose() => _gate.Dispose();
    }
}
