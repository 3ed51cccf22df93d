using System.CommandLine;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Npgsql;
using PerfCI.Data.Postgres;
using PerfCI.Server.Database;

namespace PerfCI.Server.Hosting;

/// <summary>
/// The <c>perfci</c> command: serving is the default; <c>migrate</c> applies the schema alone.
/// Tokens it does not know (<c>--urls</c>, <c>--Key=value</c>) pass through to the host's configuration.
/// A broken environment ends in one line on stderr and <see cref="ExitCodes.ConfigurationError"/>.
/// </summary>
public static class ServerCommandLine
{
    public static async Task<int> InvokeAsync(string[] args, Func<string[], CancellationToken, Task<int>> serve)
    {
        var root = new RootCommand("PerfCI: continuous performance-regression testing for LLM inference engines.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.SetAction((parse, ct) => GuardAsync(() => serve([.. parse.UnmatchedTokens], ct)));

        var migrate = new Command("migrate", "Apply pending database migrations, then exit.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        migrate.SetAction((parse, ct) => GuardAsync(() => MigrateAsync([.. parse.UnmatchedTokens], ct)));
        root.Subcommands.Add(migrate);

        // The host handles SIGINT/SIGTERM itself so that the local PostgreSQL cluster is stopped cleanly.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    private static async Task<int> MigrateAsync(string[] args, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.AddPerfCiDatabase();
        await using var services = builder.Services.BuildServiceProvider();
        await services.MigrateDatabaseAsync(cancellationToken);
        await Console.Out.WriteLineAsync("perfci: the database schema is up to date.");
        return ExitCodes.Success;
    }

    private static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (Describe(e) is { } message)
        {
            await Console.Error.WriteLineAsync($"perfci: {message}");
            return ExitCodes.ConfigurationError;
        }
    }

    /// <summary>One line for the failures a user can fix by configuration; null for bugs, which keep their stack trace.</summary>
    internal static string? Describe(Exception exception) => exception switch
    {
        OptionsValidationException e => "invalid configuration: " + string.Join("; ", e.Failures),
        LocalPostgresException e => e.Message,
        DatabaseUnavailableException e => e.Message,
        IOException { InnerException: AddressInUseException } e =>
            $"cannot listen: {e.Message} Stop the other process or choose another address with --urls (e.g. --urls http://127.0.0.1:5081).",
        AggregateException { InnerExceptions.Count: 1 } e => Describe(e.InnerExceptions[0]),
        _ when exception.InnerException is { } inner => Describe(inner),
        _ => null,
    };
}
