using Microsoft.AspNetCore.Authentication;
using PerfCI.Server.Results;
using PerfCI.Server.Runners;
using Scalar.AspNetCore;

namespace PerfCI.Server.Hosting;

/// <summary>What every HTTP API shares: problem-details errors and the OpenAPI document with its browsable UI.</summary>
public static class ApiExtensions
{
    public static IHostApplicationBuilder AddPerfCiApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails();
        builder.Services.AddScoped<RunnerRegistration>();
        builder.Services.AddSingleton<JobQueueSignal>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobQueueSignal>());
        builder.Services.AddSingleton<JobClaims>();
        builder.Services.AddPerfCiResultIngest();
        builder.Services.AddScoped<PerfCI.Server.Analysis.RunComparer>();
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, RunnerAuthenticationHandler>(RunnerAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(RunnersApi.RunnerPolicy, policy => policy.AddAuthenticationSchemes(RunnerAuthenticationHandler.SchemeName).RequireAuthenticatedUser());
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "PerfCI API";
            document.Info.Description = "Runners, results, repositories and analysis of PerfCI.";
            return Task.CompletedTask;
        }));
        return builder;
    }

    public static WebApplication UsePerfCiApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapOpenApi();
        app.MapScalarApiReference("/api/docs", options => options.WithTitle("PerfCI API"));
        return app;
    }
}
