using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using PerfCI.Data;

namespace PerfCI.Server.Database;

public static class DatabaseExtensions
{
    public static IHostApplicationBuilder AddPerfCiDatabase(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<DatabaseOptions>()
            .BindConfiguration(DatabaseOptions.SectionName)
            .Configure<IConfiguration>((options, configuration) =>
                options.ConnectionString ??= configuration.GetConnectionString(DatabaseOptions.ConnectionStringName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DatabaseOptions>, DatabaseOptionsValidator>();
        services.AddSingleton<DatabaseConnection>();
        services.AddSingleton(sp => PerfCiDatabase.CreateDataSource(sp.GetRequiredService<DatabaseConnection>().ConnectionString));
        services.AddDbContextFactory<PerfCiDbContext>((sp, options) =>
            options.UsePerfCi(sp.GetRequiredService<NpgsqlDataSource>()));
        // Keys in the database, so that any instance behind a load balancer can serve any circuit.
        services.AddDataProtection().SetApplicationName("PerfCI").PersistKeysToDbContext<PerfCiDbContext>();
        return builder;
    }

    /// <summary>
    /// Waits for the database (it may still be starting), then applies pending migrations inside
    /// the execution strategy. Several server instances may do this at once: migrations take a lock.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var options = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var dataSource = services.GetRequiredService<NpgsqlDataSource>();
        await WaitForDatabaseAsync(dataSource, options.StartupTimeout, cancellationToken);
        if (!options.MigrateOnStart)
            return;

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PerfCiDbContext>();
        var strategy = db.Database.CreateExecutionStrategy();
        await strategy.ExecuteAsync(cancellationToken, async ct => await db.Database.MigrateAsync(ct));
    }

    private static async Task WaitForDatabaseAsync(NpgsqlDataSource dataSource, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException e) when (DateTime.UtcNow < deadline && e.IsTransient)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
            catch (NpgsqlException e)
            {
                var target = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
                throw new DatabaseUnavailableException(
                    $"cannot reach the database at {target.Host}:{target.Port}/{target.Database} as '{target.Username}': " +
                    $"{Innermost(e).Message} Check ConnectionStrings__PerfCI (or unset it to use the embedded PostgreSQL).", e);
            }
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is { } inner ? Innermost(inner) : e;
}

/// <summary>The database could not be reached at start; the message says where and why in one line.</summary>
public sealed class DatabaseUnavailableException(string message, Exception inner) : Exception(message, inner);
