using Microsoft.Extensions.Options;
using PerfCI.Data.Postgres;

namespace PerfCI.Server.Database;

/// <summary>
/// Resolves the connection string once: the configured one, or that of the embedded cluster, which
/// is created on first run, started here and stopped when the host is disposed.
/// </summary>
public sealed class DatabaseConnection(IOptions<DatabaseOptions> options, ILogger<DatabaseConnection> logger)
    : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private string? _connectionString;
    private LocalPostgresCluster? _cluster;

    public string ConnectionString
    {
        get
        {
            lock (_gate)
                return _connectionString ??= Resolve();
        }
    }

    private string Resolve()
    {
        var settings = options.Value;
        if (!string.IsNullOrWhiteSpace(settings.ConnectionString))
            return settings.ConnectionString;

        var directory = Path.GetFullPath(settings.LocalDirectory, Directory.GetCurrentDirectory());
        // Called once, at start, before anything else can use the database.
        _cluster = LocalPostgresCluster.StartAsync(directory, durable: true, settings.PostgresSearchPaths is [] ? null : settings.PostgresSearchPaths).GetAwaiter().GetResult();
        _cluster.CreateDatabaseIfMissingAsync("perfci").GetAwaiter().GetResult();
        logger.LogInformation("Using the local PostgreSQL cluster in {Directory} on port {Port}", directory, _cluster.Port);
        return _cluster.ConnectionString("perfci");
    }

    public async ValueTask DisposeAsync()
    {
        LocalPostgresCluster? cluster;
        lock (_gate)
        {
            cluster = _cluster;
            _cluster = null;
        }
        if (cluster is not null)
        {
            logger.LogInformation("Stopping the local PostgreSQL cluster");
            await cluster.DisposeAsync();
        }
    }
}
