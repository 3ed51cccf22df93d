using PerfCI.Ui;

namespace PerfCI.Server.Dashboard;

public static class DashboardExtensions
{
    public static IHostApplicationBuilder AddPerfCiDashboard(this IHostApplicationBuilder builder)
    {
        // The dashboard's scripts and styles (MudBlazor's, Blazor's) live in their packages until
        // publish copies them to wwwroot. Outside Development (a test's server process, the built
        // perfci.dll run as is) only this serves them; a published server has no manifest to load.
        if (builder is WebApplicationBuilder web)
            web.WebHost.UseStaticWebAssets();
        builder.Services.AddPerfCiUi();
        builder.Services.AddScoped<IDashboardQueries, DashboardQueries>();
        PerfCI.Server.Bisect.BisectExtensions.AddBisectPages(builder.Services);
        builder.Services.AddScoped<PerfCI.Ui.Trends.ITrendQueries, TrendQueries>();
        builder.Services.AddScoped<PerfCI.Ui.Compare.ICompareQueries, CompareQueries>();
        return builder;
    }

    public static WebApplication MapPerfCiDashboard(this WebApplication app) => app.MapPerfCiUi();
}
