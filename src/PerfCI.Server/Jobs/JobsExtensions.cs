using Hangfire;
using Hangfire.Dashboard;
using Hangfire.PostgreSql;
using Npgsql;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PerfCI.Core.Access;
using PerfCI.Server.Accounts;
using PerfCI.Server.Analysis;
using PerfCI.Server.Runners;

namespace PerfCI.Server.Jobs;

public static class JobsExtensions
{
    public static IHostApplicationBuilder AddPerfCiJobs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<JobsOptions>().BindConfiguration(JobsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<HangfireTelemetry>();
        builder.Services.AddPerfCiJobStorage();
        builder.Services.AddHangfire((sp, configuration) => configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseFilter(sp.GetRequiredService<HangfireTelemetry>()));
        builder.Services.AddHangfireServer((sp, server) =>
        {
            var options = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<JobsOptions>>().Value;
            var runners = sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<RunnersOptions>>().Value;
            server.WorkerCount = options.WorkerCount;
            server.SchedulePollingInterval = LeaseExpiryJob.SchedulerPolling(runners.LeaseCheckInterval);
            server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
        });
        builder.Services.AddOptions<RunnersOptions>().BindConfiguration(RunnersOptions.SectionName)
            .Validate(o => o.OfflineAfter > TimeSpan.FromSeconds(30), "Runners:OfflineAfter must be longer than the runners' 30 s long-poll.")
            .Validate(o => o.LeaseDuration > TimeSpan.Zero, "Runners:LeaseDuration must be positive.")
            .Validate(o => o.LeaseCheckInterval >= TimeSpan.FromSeconds(1) && o.LeaseCheckInterval <= TimeSpan.FromMinutes(1) && o.LeaseCheckInterval.Ticks % TimeSpan.TicksPerSecond == 0,
                "Runners:LeaseCheckInterval must be whole seconds, from 00:00:01 to 00:01:00.")
            .ValidateOnStart();
        builder.Services.AddTransient<RunnerPresenceJob>();
        builder.Services.AddTransient<LeaseExpiryJob>();
        builder.Services.AddOptions<PerfCI.Server.Runs.GitOptions>().BindConfiguration(PerfCI.Server.Runs.GitOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.CacheDirectory), "Git:CacheDirectory must be set.").ValidateOnStart();
        builder.Services.AddSingleton<PerfCI.Server.Runs.RepositoryMirror>();
        builder.Services.AddTransient<PerfCI.Server.Runs.ExpandRunJob>();
        builder.Services.AddScoped<CommitHistory>();
        builder.Services.AddTransient<AnalyzeRunJob>();
        builder.Services.AddTransient<SeriesAnalysisJob>();
        return builder;
    }

    /// <summary>
    /// The storage is this host's own service, not Hangfire's process-wide JobStorage.Current, so that
    /// two hosts in one process (the tests' servers) never enqueue into each other's database. One-shot
    /// commands (perfci upload) use it alone to enqueue work for the servers.
    /// </summary>
    public static IServiceCollection AddPerfCiJobStorage(this IServiceCollection services)
    {
        services.AddSingleton<JobStorage>(sp => new PostgreSqlStorage(
            new DataSourceConnectionFactory(sp.GetRequiredService<NpgsqlDataSource>()),
            new PostgreSqlStorageOptions
            {
                SchemaName = "hangfire",
                PrepareSchemaIfNecessary = true,
                // LISTEN/NOTIFY wakes a worker when a job is enqueued; polling is only the fallback.
                EnableLongPolling = true,
                QueuePollInterval = TimeSpan.FromSeconds(5),
            }));
        services.TryAddSingleton<IBackgroundJobClient>(sp => new BackgroundJobClient(sp.GetRequiredService<JobStorage>()));
        return services;
    }

    public static WebApplication MapPerfCiJobs(this WebApplication app)
    {
        // Admins only: a browser without a session is sent to the login page, a signed-in non-admin is refused.
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new HangfireDashboardAccess()],
            DashboardTitle = "PerfCI jobs",
        }).RequireAuthorization(PerfCiPolicies.Administer);

        // Recurring jobs are registered once at start under stable ids; re-registering updates them.
        var recurring = app.Services.GetRequiredService<IRecurringJobManager>();
        recurring.AddOrUpdate<RunnerPresenceJob>(RunnerPresenceJob.RecurringId, job => job.RunAsync(CancellationToken.None), Cron.Minutely());
        var leaseCheck = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RunnersOptions>>().Value.LeaseCheckInterval;
        recurring.AddOrUpdate<LeaseExpiryJob>(LeaseExpiryJob.RecurringId, job => job.RunAsync(CancellationToken.None), LeaseExpiryJob.Cron(leaseCheck));
        return app;
    }

    private sealed class DataSourceConnectionFactory(NpgsqlDataSource dataSource) : IConnectionFactory
    {
        public NpgsqlConnection GetOrCreateConnection() => dataSource.CreateConnection();
    }
}
