using Microsoft.Extensions.Options;
using Npgsql;

namespace PerfCI.Server.Database;

/// <summary>Where PerfCI's data lives. Bound from <c>ConnectionStrings:PerfCI</c> and the <c>Database</c> section.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";
    public const string ConnectionStringName = "PerfCI";

    /// <summary>PostgreSQL connection string; when empty, PerfCI runs its own cluster under <see cref="LocalDirectory"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Directory of the embedded cluster, relative to the working directory.</summary>
    public string LocalDirectory { get; set; } = ".perfci/postgres";

    /// <summary>
    /// Where to look for PostgreSQL server binaries after PATH, each holding N/bin folders.
    /// Empty means /usr/lib/postgresql, where Debian and Ubuntu install them.
    /// </summary>
    public List<string> PostgresSearchPaths { get; set; } = [];

    /// <summary>How long to wait for the database at start (it may still be booting, as in docker compose).</summary>
    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public bool MigrateOnStart { get; set; } = true;
}

internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return string.IsNullOrWhiteSpace(options.LocalDirectory)
                ? ValidateOptionsResult.Fail("Database:LocalDirectory must be set when ConnectionStrings:PerfCI is empty.")
                : ValidateOptionsResult.Success;
        }
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            if (string.IsNullOrWhiteSpace(builder.Host))
                return ValidateOptionsResult.Fail("ConnectionStrings:PerfCI has no Host.");
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            return ValidateOptionsResult.Fail($"ConnectionStrings:PerfCI is not a valid PostgreSQL connection string: {e.Message}");
        }
        return options.StartupTimeout <= TimeSpan.Zero
            ? ValidateOptionsResult.Fail("Database:StartupTimeout must be positive.")
            : ValidateOptionsResult.Success;
    }
}
