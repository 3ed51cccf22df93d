using Microsoft.AspNetCore.Hosting.StaticWebAssets;
using PerfCI.Ui;

namespace PerfCI.Server.Dashboard;

public static class DashboardExtensions
{
    public static IHostApplicationBuilder AddPerfCiDashboard(this IHostApplicationBuilder builder)
    {
        builder.Services.AddPerfCiUi();
        // Run from a build rather than a publish (tests, `dotnet perfci.dll` outside Development), the
        // framework's blazor.web.js is found only through the build's static web assets manifest.
        if (builder.Environment is IWebHostEnvironment web)
            StaticWebAssetsLoader.UseStaticWebAssets(web, builder.Configuration);
        builder.Services.AddScoped<IDashboardQueries, DashboardQueries>();
        PerfCI.Server.Bisect.BisectExtensions.AddBisectPages(builder.Services);
        builder.Services.AddScoped<PerfCI.Ui.Trends.ITrendQueries, TrendQueries>();
        builder.Services.AddScoped<PerfCI.Ui.Compare.ICompareQueries, CompareQueries>();
        return builder;
    }

    public static WebApplication MapPerfCiDashboard(this WebApplication app) => app.MapPerfCiUi();
}
