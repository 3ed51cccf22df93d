namespace PerfCI.Server.Demo;

public static class DemoExtensions
{
    /// <summary>
    /// The demo, when <c>Demo:Enabled</c> says so, or when it is unset and PerfCI runs its own
    /// PostgreSQL (no connection string): the README's first command then shows a full dashboard.
    /// </summary>
    public static IHostApplicationBuilder AddPerfCiDemo(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DemoOptions>().BindConfiguration(DemoOptions.SectionName)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Directory), "Demo:Directory must be set.")
            .ValidateOnStart();
        if (IsEnabled(builder.Configuration))
            builder.Services.AddHostedService<DemoService>();
        return builder;
    }

    public static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetValue<bool?>($"{DemoOptions.SectionName}:{nameof(DemoOptions.Enabled)}")
        ?? string.IsNullOrWhiteSpace(configuration.GetConnectionString(Database.DatabaseOptions.ConnectionStringName));
}
