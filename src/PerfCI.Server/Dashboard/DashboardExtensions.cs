using PerfCI.Ui;

namespace PerfCI.Server.Dashboard;

public static class DashboardExtensions
{
    public static IHostApplicationBuilder AddPerfCiDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPerfCiUi();
        builder.Services.AddScoped<IDashboardQueries, DashboardQueries>();
        PerfCI.Server.Bisect.BisectExtensions.AddBisectPages(builder.Services);
        return builder;
    }

    public static WebApplication MapPerfCiDashboard(this WebApplication app) => app.MapPerfCiUi();
}
