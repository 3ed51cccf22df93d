using Xunit;

namespace PerfCI.Testing;

/// <summary>A class fixture: one migrated database for the test class that uses it.</summary>
public sealed class DatabaseFixture : IAsyncLifetime
{
    private string? _connectionString;

    public string ConnectionString => _connectionString ?? throw new InvalidOperationException("The fixture is not initialised.");

    public async ValueTask InitializeAsync() =>
        _connectionString = await TestPostgres.CreateDatabaseAsync(GetType().Name + Guid.NewGuid().ToString("N")[..6]);

    public PerfCI.Data.PerfCiDbContext CreateContext() => TestPostgres.CreateContext(ConnectionString);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
