using Microsoft.AspNetCore.ResponseCompression;
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
        builder.Services.AddSingleton<TrendChartReads>();
        // The trends chart's points (10,000 of them is about 1.5 MB of JSON) travel compressed; the
        // static assets are compressed at build time already.
        builder.Services.AddResponseCompression(options =>
        {
            options.EnableForHttps = true;
            options.Providers.Add<BrotliCompressionProvider>();
            options.Providers.Add<GzipCompressionProvider>();
        });
        builder.Services.AddScoped<PerfCI.Ui.Compare.ICompareQueries, CompareQueries>();
        builder.Services.AddScoped<PerfCI.Ui.Runs.IRunQueries, RunQueries>();
        builder.Services.AddScoped<PerfCI.Ui.Alerts.IAlertQueries, AlertQueries>();
        builder.Services.AddScoped<PerfCI.Ui.PullRequests.IPullRequestQueries, PullRequestQueries>();
        builder.Services.AddScoped<PerfCI.Ui.Runners.IRunnerQueries, RunnerQueries>();
        builder.Services.AddScoped<PerfCI.Ui.Settings.ISettingsQueries, SettingsQueries>();
        builder.AddPerfCiActions();
        return builder;
    }

    /// <summary>
    /// The action services the API and the dashboard share; each checks the user's role itself. One
    /// instance per scope, reachable by its class (API handlers) and its dashboard interface (pages).
    /// </summary>
    public static IHostApplicationBuilder AddPerfCiActions(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<PerfCI.Server.Runs.RunActions>();
        builder.Services.AddScoped<PerfCI.Ui.Runs.IRunActions>(sp => sp.GetRequiredService<PerfCI.Server.Runs.RunActions>());
        builder.Services.AddScoped<PerfCI.Server.Analysis.AlertTriage>();
        builder.Services.AddScoped<PerfCI.Ui.Alerts.IAlertActions>(sp => sp.GetRequiredService<PerfCI.Server.Analysis.AlertTriage>());
        builder.Services.AddScoped<PerfCI.Server.GitHub.PullRequestDecisions>();
        builder.Services.AddScoped<PerfCI.Ui.PullRequests.IPullRequestActions>(sp => sp.GetRequiredService<PerfCI.Server.GitHub.PullRequestDecisions>());
        builder.Services.AddScoped<PerfCI.Server.Runners.RunnerAdministration>();
        builder.Services.AddScoped<PerfCI.Ui.Runners.IRunnerActions>(sp => sp.GetRequiredService<PerfCI.Server.Runners.RunnerAdministration>());
        builder.Services.AddScoped<PerfCI.Server.Repositories.RepositoryAdministration>();
        builder.Services.AddScoped<PerfCI.Ui.Settings.IRepositoryActions>(sp => sp.GetRequiredService<PerfCI.Server.Repositories.RepositoryAdministration>());
        return builder;
    }

    public static WebApplication MapPerfCiDashboard(this WebApplication app)
    {
        // Only the chart's data: it reflects no secret, and other responses (logs followed live,
        // Blazor's own) are better left as they are.
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/api/trends"), branch => branch.UseResponseCompression());
        app.MapTrendsApi();
        return app.MapPerfCiUi();
    }
}
