using Microsoft.EntityFrameworkCore;
using Npgsql;
using PerfCI.Testing;

namespace PerfCI.Data.Tests;

public sealed class MigrationTests
{
    [Fact]
    public async Task Migrate_CreatesEverySchemaObject_OnAnEmptyDatabase()
    {
        var connectionString = await TestPostgres.CreateEmptyDatabaseAsync(nameof(Migrate_CreatesEverySchemaObject_OnAnEmptyDatabase));
        await using var db = TestPostgres.CreateContext(connectionString);

        await db.Database.MigrateAsync(TestContext.Current.CancellationToken);

        var applied = await db.Database.GetAppliedMigrationsAsync(TestContext.Current.CancellationToken);
        Assert.Equal(db.Database.GetMigrations(), applied);
        var tables = await QueryStringsAsync(connectionString,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
        string[] expected =
        [
            "alert_groups", "alerts", "bisect_steps", "bisects", "change_points", "commits", "job_log_chunks",
            "job_results", "jobs", "measurements", "pull_requests", "registration_tokens", "repositories",
            "runners", "runs", "series", "suites", "webhook_deliveries", "data_protection_keys",
            "users", "roles", "user_roles", "user_claims", "user_logins", "user_tokens", "role_claims", "api_tokens",
        ];
        Assert.Empty(expected.Except(tables));
    }

    [Fact]
    public async Task Migrate_IsANoOp_WhenRunTwice()
    {
        var connectionString = await TestPostgres.CreateEmptyDatabaseAsync(nameof(Migrate_IsANoOp_WhenRunTwice));
        await using (var first = TestPostgres.CreateContext(connectionString))
            await first.Database.MigrateAsync(TestContext.Current.CancellationToken);
        var schemaBefore = await SchemaFingerprintAsync(connectionString);

        await using var second = TestPostgres.CreateContext(connectionString);
        var pending = await second.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken);
        await second.Database.MigrateAsync(TestContext.Current.CancellationToken);

        Assert.Empty(pending);
        Assert.Equal(schemaBefore, await SchemaFingerprintAsync(connectionString));
    }

    [Fact]
    public void Model_HasNoChanges_ThatAreMissingFromTheMigrations()
    {
        // Building the model needs no connection; this fails when an entity changed without a migration.
        using var db = TestPostgres.CreateContext("Host=127.0.0.1;Database=unused;Username=unused");

        Assert.False(db.Database.HasPendingModelChanges(),
            "The EF model differs from the last migration: run 'dotnet ef migrations add <Name> --project migrations/PerfCI.Migrations --startup-project migrations/PerfCI.Migrations --output-dir Migrations'.");
    }

    [Fact]
    public async Task Schema_HasTheClaimAndSeriesOrderIndexes()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(Schema_HasTheClaimAndSeriesOrderIndexes));

        var indexes = await QueryStringsAsync(connectionString, "SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public'");

        Assert.Contains(indexes, i => i.StartsWith("ix_jobs_claim:", StringComparison.Ordinal) && i.Contains("(queued_at, id) WHERE (state = 'queued'::job_state)", StringComparison.Ordinal));
        Assert.Contains(indexes, i => i.StartsWith("ix_jobs_lease_expiry:", StringComparison.Ordinal) && i.Contains("WHERE (state = 'running'::job_state)", StringComparison.Ordinal));
        Assert.Contains(indexes, i => i.Contains("ON public.measurements USING btree (series_id, commit_id)", StringComparison.Ordinal));
        Assert.Contains(indexes, i => i.Contains("ON public.commits USING btree (repository_id, first_parent_position) WHERE (first_parent_position IS NOT NULL)", StringComparison.Ordinal));
    }

    private static async Task<string> SchemaFingerprintAsync(string connectionString)
    {
        var columns = await QueryStringsAsync(connectionString,
            "SELECT table_name || '.' || column_name || ':' || data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1");
        var history = await QueryStringsAsync(connectionString, "SELECT migration_id FROM __ef_migrations_history ORDER BY 1");
        return string.Join('\n', columns.Concat(history));
    }

    internal static async Task<List<string>> QueryStringsAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
            values.Add(reader.GetString(0));
        return values;
    }
}
