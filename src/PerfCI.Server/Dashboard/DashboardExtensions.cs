using PerfCI.Ui;

namespace PerfCI.Server.Dashboard;

public static class DashboardExtensions
{
    public static IHostApplicationBuilder AddPerfCiDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPerfCiUi();
        builder.Services.AddScoped<IDashboardQueries, DashboardQueries>();
        builder.Services.AddScoped<PerfCI.Ui.Trends.ITrendQueries, TrendQueries>();
        builder.Services.AddScoped<PerfCI.Ui.Compare.ICompareQueries, CompareQueries>();
        return builder;
    }

    public static WebApplication MapPerfCiDashboard(this WebApplication app) => app.MapPerfCiUi();
}
