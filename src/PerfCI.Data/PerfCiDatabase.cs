using Microsoft.EntityFrameworkCore;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;
using PerfCI.Core.Domain;

namespace PerfCI.Data;

/// <summary>
/// The one place that says how PerfCI talks to PostgreSQL: the data source (enums mapped for raw
/// SQL) and the EF Core options (same enums, snake_case names, the migrations assembly).
/// </summary>
public static class PerfCiDatabase
{
    public const string MigrationsAssembly = "PerfCI.Migrations";

    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        ConfigureDataSource(builder);
        return builder.Build();
    }

    public static void ConfigureDataSource(NpgsqlDataSourceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.MapEnum<RunTrigger>("run_trigger");
        builder.MapEnum<RunState>("run_state");
        builder.MapEnum<JobState>("job_state");
        builder.MapEnum<RunnerState>("runner_state");
        builder.MapEnum<MetricDirection>("metric_direction");
        builder.MapEnum<ChangeKind>("change_kind");
        builder.MapEnum<AlertKind>("alert_kind");
        builder.MapEnum<AlertState>("alert_state");
        builder.MapEnum<PullRequestState>("pull_request_state");
        builder.MapEnum<BisectState>("bisect_state");
        builder.MapEnum<BisectDecision>("bisect_decision");
        builder.MapEnum<BisectMode>("bisect_mode");
    }

    public static DbContextOptionsBuilder UsePerfCi(this DbContextOptionsBuilder options, NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options
            .UseNpgsql(dataSource, ConfigureNpgsql)
            .UseSnakeCaseNamingConvention();
    }

    private static void ConfigureNpgsql(NpgsqlDbContextOptionsBuilder npgsql)
    {
        npgsql.MigrationsAssembly(MigrationsAssembly);
        npgsql.MigrationsHistoryTable("__ef_migrations_history");
        npgsql.MapEnum<RunTrigger>("run_trigger");
        npgsql.MapEnum<RunState>("run_state");
        npgsql.MapEnum<JobState>("job_state");
        npgsql.MapEnum<RunnerState>("runner_state");
        npgsql.MapEnum<MetricDirection>("metric_direction");
        npgsql.MapEnum<ChangeKind>("change_kind");
        npgsql.MapEnum<AlertKind>("alert_kind");
        npgsql.MapEnum<AlertState>("alert_state");
        npgsql.MapEnum<PullRequestState>("pull_request_state");
        npgsql.MapEnum<BisectState>("bisect_state");
        npgsql.MapEnum<BisectDecision>("bisect_decision");
        npgsql.MapEnum<BisectMode>("bisect_mode");
    }
}
