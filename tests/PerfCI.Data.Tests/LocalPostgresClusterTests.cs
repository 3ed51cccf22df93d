using Npgsql;
using PerfCI.Data.Postgres;
using PerfCI.Testing;

namespace PerfCI.Data.Tests;

public sealed class LocalPostgresClusterTests
{
    [Fact]
    public void FindBinDirectory_PrefersPath_ThenTheNewestVersionUnderASearchRoot()
    {
        using var temp = new TempDirectory();
        var onPath = CreateFakeBin(Path.Combine(temp.Path, "path-bin"));
        var root = Path.Combine(temp.Path, "postgresql");
        CreateFakeBin(Path.Combine(root, "9.6", "bin"));
        var v15 = CreateFakeBin(Path.Combine(root, "15", "bin"));
        Directory.CreateDirectory(Path.Combine(root, "17", "bin")); // a client-only install: no server binaries

        Assert.Equal(onPath, LocalPostgresCluster.FindBinDirectory([Path.Combine(temp.Path, "nothing"), onPath], [root]));
        Assert.Equal(v15, LocalPostgresCluster.FindBinDirectory([Path.Combine(temp.Path, "nothing")], [root]));
        Assert.Null(LocalPostgresCluster.FindBinDirectory([temp.Path], [Path.Combine(temp.Path, "missing")]));
    }

    [Fact]
    public async Task StartAsync_CreatesAClusterOnce_AndStartsItAgainWithItsData()
    {
        using var temp = new TempDirectory();
        var root = Path.Combine(temp.Path, "pg");

        await using (var first = await LocalPostgresCluster.StartAsync(root, durable: false, cancellationToken: TestContext.Current.CancellationToken))
        {
            await first.CreateDatabaseIfMissingAsync("perfci", cancellationToken: TestContext.Current.CancellationToken);
            await ExecuteAsync(first.ConnectionString("perfci"), "CREATE TABLE kept (value int); INSERT INTO kept VALUES (42)");
        }

        await using var second = await LocalPostgresCluster.StartAsync(root, durable: false, cancellationToken: TestContext.Current.CancellationToken);
        await second.CreateDatabaseIfMissingAsync("perfci", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(42, await ScalarAsync(second.ConnectionString("perfci"), "SELECT value FROM kept"));
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(second.ConnectionString()) { Password = "wrong" }.ConnectionString);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync(TestContext.Current.CancellationToken));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
    }

    [Fact]
    public async Task StartAsync_RefusesASecondOwner_AndLeavesTheFirstRunning()
    {
        using var temp = new TempDirectory();
        var root = Path.Combine(temp.Path, "pg");
        await using var first = await LocalPostgresCluster.StartAsync(root, durable: false, cancellationToken: TestContext.Current.CancellationToken);

        var refused = await Assert.ThrowsAsync<LocalPostgresException>(() =>
            LocalPostgresCluster.StartAsync(root, durable: false, cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains($"Another PerfCI process (pid {Environment.ProcessId})", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, await ScalarAsync(first.ConnectionString(), "SELECT 1"));
    }

    private static string CreateFakeBin(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "initdb"), "");
        File.WriteAllText(Path.Combine(directory, "pg_ctl"), "");
        return directory;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<int> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (int)(await command.ExecuteScalarAsync())!;
    }
}
