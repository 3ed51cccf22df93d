using PerfCI.Server.Dashboard;
using PerfCI.Ui.Bisect;

namespace PerfCI.Server.Bisect;

public static class BisectExtensions
{
    /// <summary>The bisect state machine's jobs and the commands shared by the API, the dashboard and auto-bisect.</summary>
    public static IHostApplicationBuilder AddPerfCiBisect(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<BisectCommands>();
        builder.Services.AddTransient<BisectJob>();
        builder.Services.AddTransient<BisectSweepJob>();
        builder.Services.AddTransient<AutoBisectJob>();
        builder.Services.AddScoped<IBisectQueries, BisectQueries>();
        return builder;
    }

    /// <summary>The dashboard's bisect actions (its reads are <see cref="AddPerfCiBisect"/>'s, shared with the API).</summary>
    public static IServiceCollection AddBisectPages(this IServiceCollection services) => services.AddScoped<IBisectActions, BisectActions>();
}
