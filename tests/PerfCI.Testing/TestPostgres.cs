using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using PerfCI.Data;
using PerfCI.Data.Postgres;

namespace PerfCI.Testing;

/// <summary>
/// One PostgreSQL server per test run: <c>PERFCI_TEST_DATABASE</c> when set (a connection string
/// whose user may create databases), else a throwaway cluster started from the system binaries.
/// Each test class gets its own database, cloned from a template migrated once per run.
/// </summary>
public static class TestPostgres
{
    public const string EnvironmentVariable = "PERFCI_TEST_DATABASE";
    private const string TemplateDatabase = "perfci_template";

    private static readonly Lazy<Task<Server>> Instance = new(StartAsync);
    private static readonly ConcurrentDictionary<string, NpgsqlDataSource> DataSources = new();
    // PostgreSQL refuses two CREATE DATABASE ... TEMPLATE of one template at the same time.
    private static readonly SemaphoreSlim CreateGate = new(1, 1);
    private static int _databaseCounter;

    /// <summary>A fresh, migrated database; the name says which test class it belongs to.</summary>
    public static async Task<string> CreateDatabaseAsync(string owner)
    {
        var server = await Instance.Value;
        var name = $"t{Interlocked.Increment(ref _databaseCounter)}_{Environment.ProcessId}_{Sanitize(owner)}";
        await CreateGate.WaitAsync();
        try
        {
            await using var connection = new NpgsqlConnection(server.AdminConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\" TEMPLATE \"{server.Template}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        finally
        {
            CreateGate.Release();
        }
        return new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>An empty database with no schema at all, for testing migrations themselves.</summary>
    public static async Task<string> CreateEmptyDatabaseAsync(string owner)
    {
        var server = await Instance.Value;
        var name = $"e{Interlocked.Increment(ref _databaseCounter)}_{Environment.ProcessId}_{Sanitize(owner)}";
        await using var connection = new NpgsqlConnection(server.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(server.AdminConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>A context on <paramref name="connectionString"/>; its data source (and pool) is shared per database.</summary>
    public static PerfCiDbContext CreateContext(string connectionString) =>
        CreateContext(DataSources.GetOrAdd(connectionString, PerfCiDatabase.CreateDataSource));

    private static PerfCiDbContext CreateContext(NpgsqlDataSource dataSource)
    {
        var options = new DbContextOptionsBuilder<PerfCiDbContext>();
        options.UsePerfCi(dataSource);
        return new PerfCiDbContext(options.Options);
    }

    private static async Task<Server> StartAsync()
    {
        LocalPostgresCluster? cluster = null;
        var adminConnectionString = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(adminConnectionString))
        {
            var root = Path.Combine(Path.GetTempPath(), $"perfci-test-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
            cluster = await LocalPostgresCluster.StartAsync(root, durable: false);
            adminConnectionString = cluster.ConnectionString();
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                cluster.StopAsync().GetAwaiter().GetResult();
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                    // Best effort: a temp directory left behind is harmless.
                }
            };
        }

        // Several test processes may share one PERFCI_TEST_DATABASE server: the template is per process.
        var template = $"{TemplateDatabase}_{Environment.ProcessId}";
        await using (var connection = new NpgsqlConnection(adminConnectionString))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{template}\"", connection);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{template}\"", connection);
            await create.ExecuteNonQueryAsync();
        }
        var templateConnectionString = new NpgsqlConnectionStringBuilder(adminConnectionString) { Database = template }.ConnectionString;
        // CREATE DATABASE ... TEMPLATE needs the template to have no open connections: its own
        // data source is disposed, closing every pooled connection.
        await using (var templateSource = PerfCiDatabase.CreateDataSource(templateConnectionString))
        await using (var db = CreateContext(templateSource))
            await db.Database.MigrateAsync();
        return new Server(adminConnectionString, template, cluster);
    }

    private static string Sanitize(string owner)
    {
        var name = new string([.. owner.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit)]);
        return name.Length > 30 ? name[^30..] : name;
    }

    private sealed record Server(string AdminConnectionString, string Template, LocalPostgresCluster? Cluster);
}
