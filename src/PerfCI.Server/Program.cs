using PerfCI.Server.Accounts;
using PerfCI.Server.Analysis;
using PerfCI.Server.Dashboard;
using PerfCI.Server.Database;
using PerfCI.Server.GitHub;
using PerfCI.Server.Hosting;
using PerfCI.Server.Jobs;
using PerfCI.Server.Repositories;
using PerfCI.Server.Runners;
using PerfCI.Server.Runs;

return await ServerCommandLine.InvokeAsync(args, ServeAsync);

static async Task<int> ServeAsync(string[] args, CancellationToken cancellationToken)
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddServiceDefaults();
    builder.AddPerfCiDatabase();
    builder.AddPerfCiJobs();
    builder.AddPerfCiApi();
    builder.AddPerfCiAccounts();
    builder.AddPerfCiGitHub();
    builder.AddPerfCiDashboard();

    await using var app = builder.Build();
    await app.Services.MigrateDatabaseAsync(cancellationToken);
    await app.Services.EnsureFirstAdminAsync(cancellationToken);

    app.UsePerfCiApi();
    app.MapDefaultEndpoints();
    app.MapAccountsApi();
    app.MapRepositoriesApi();
    app.MapRunnersApi();
    app.MapRunnerJobsApi();
    app.MapJobLogsApi();
    app.MapRunsApi();
    app.MapAnalysisApi();
    app.MapGitHubWebhookApi();
    app.MapPullRequestsApi();
    app.MapPerfCiJobs();
    app.MapPerfCiDashboard();

    await app.RunAsync();
    return ExitCodes.Success;
}

public partial class Program;
