using Microsoft.Extensions.Options;

namespace PerfCI.Server.GitHub;

public static class GitHubExtensions
{
    /// <summary>
    /// The GitHub integration: options (checked at start), Octokit clients, and the jobs that process
    /// deliveries and report on pull requests. Without an App or a token configured, webhooks still
    /// start runs; nothing is reported back.
    /// </summary>
    public static IHostApplicationBuilder AddPerfCiGitHub(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GitHubOptions>().BindConfiguration(GitHubOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<GitHubOptions>, GitHubOptionsValidator>();
        builder.Services.AddSingleton<GitHubClients>();
        builder.Services.AddScoped<PullRequestRuns>();
        builder.Services.AddTransient<WebhookDeliveryJob>();
        builder.Services.AddTransient<PullRequestReportJob>();
        builder.Services.AddTransient<RegressionNotificationJob>();
        return builder;
    }

    /// <summary>Every problem of the GitHub settings at once, each naming its setting.</summary>
    private sealed class GitHubOptionsValidator : IValidateOptions<GitHubOptions>
    {
        public ValidateOptionsResult Validate(string? name, GitHubOptions options) =>
            options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
    }
}
