using System.CommandLine;
using Hangfire;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Npgsql;
using PerfCI.Data.Postgres;
using PerfCI.Core.Importers;
using PerfCI.Core.Results;
using PerfCI.Server.Accounts;
using PerfCI.Server.Analysis;
using PerfCI.Server.Database;
using PerfCI.Server.Jobs;
using PerfCI.Server.Results;
using PerfCI.Server.Runners;

namespace PerfCI.Server.Hosting;

/// <summary>
/// The <c>perfci</c> command: serving is the default; <c>migrate</c> applies the schema alone;
/// <c>analyze</c> finds the change points of a series file without a database; <c>create-admin</c> and
/// <c>api-token</c> manage accounts.
/// Tokens it does not know (<c>--urls</c>, <c>--Key=value</c>) pass through to the host's configuration.
/// A broken environment ends in one line on stderr and <see cref="ExitCodes.ConfigurationError"/>.
/// </summary>
public static class ServerCommandLine
{
    public static async Task<int> InvokeAsync(string[] args, Func<string[], CancellationToken, Task<int>> serve) =>
        // The host handles SIGINT/SIGTERM itself so that the local PostgreSQL cluster is stopped cleanly.
        await Build(serve).Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

    internal static RootCommand Build(Func<string[], CancellationToken, Task<int>> serve)
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
        root.Subcommands.Add(UploadCommand());
        root.Subcommands.Add(RunnerTokenCommand());
        root.Subcommands.Add(AnalyzeCommand.Create());
        root.Subcommands.Add(AccountCommands.CreateAdmin(() => Console.In));
        root.Subcommands.Add(AccountCommands.ApiToken());
        return root;
    }

    private static async Task<int> MigrateAsync(string[] args, CancellationToken cancellationToken)
    {
        using var host = CommandHost(args).Build();
        await host.Services.MigrateDatabaseAsync(cancellationToken);
        await Console.Out.WriteLineAsync("perfci: the database schema is up to date.");
        return ExitCodes.Success;
    }

    private static Command RunnerTokenCommand()
    {
        var labels = new Option<string[]>("--labels") { Description = "Labels given to the runner that registers with it.", AllowMultipleArgumentsPerToken = true };
        var hours = new Option<double>("--expires-hours") { Description = "How long the token may be used.", DefaultValueFactory = _ => 24 };
        var server = new Option<string>("--server-url") { Description = "The address runners reach this server at, for the printed command.", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        var command = new Command("runner-token", "Create a one-time registration token for a runner (shown once; only its hash is stored).") { labels, hours, server };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, ct) => GuardAsync(async () =>
        {
            if (!(parse.GetValue(hours) > 0))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("perfci runner-token: --expires-hours must be positive.");
                return ExitCodes.BadInput;
            }
            var builder = CommandHost([.. parse.UnmatchedTokens]);
            builder.Services.AddScoped<RunnerRegistration>();
            using var host = builder.Build();
            await host.Services.MigrateDatabaseAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            var token = await scope.ServiceProvider.GetRequiredService<RunnerRegistration>().CreateTokenAsync(
                parse.GetValue(labels) ?? [], TimeSpan.FromHours(parse.GetValue(hours)), Environment.UserName, ct);
            var output = parse.InvocationConfiguration.Output;
            await output.WriteLineAsync(token);
            await output.WriteLineAsync($"Register a runner with it (once, within {parse.GetValue(hours):0.#} h):");
            await output.WriteLineAsync($"  perfci-runner register --server {parse.GetValue(server)} --token {token}");
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command UploadCommand()
    {
        var file = new Argument<FileInfo>("file") { Description = "A PerfCI result document (perfci-bench run --out, or perfci-bench import for other tools' files)." };
        var repository = new Option<string>("--repository") { Description = "owner/name", Required = true };
        var commit = new Option<string>("--commit") { Description = "The commit the results are for (sha).", Required = true };
        var suite = new Option<string?>("--suite") { Description = "Suite name (default: the document's, else 'default')." };
        var hardwareClass = new Option<string?>("--hardware-class") { Description = "Hardware class (default: derived from the document's hardware)." };
        var format = new Option<string?>("--format") { Description = $"Another tool's file: {string.Join(", ", ResultImporters.Formats)}. Default: a PerfCI result document, else recognised from the content." };
        var upload = new Command("upload", "Store a result file in the database, idempotently (for results measured offline or by another tool).")
        {
            file, repository, commit, suite, hardwareClass, format,
        };
        upload.TreatUnmatchedTokensAsErrors = false;
        upload.SetAction((parse, ct) => GuardAsync(async () =>
        {
            var path = parse.GetValue(file)!;
            ResultDocument document;
            try
            {
                var content = await File.ReadAllTextAsync(path.FullName, ct);
                document = parse.GetValue(format) is null && IsPerfCiDocument(content)
                    ? ResultDocumentJson.Parse(content, path.Name)
                    : ResultImporters.Import(path.Name, content, parse.GetValue(format));
            }
            catch (Exception e) when (e is ResultDocumentException or ImportException or IOException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"perfci upload: {e.Message}");
                return ExitCodes.BadInput;
            }
            var builder = CommandHost([.. parse.UnmatchedTokens]);
            builder.Services.AddPerfCiResultIngest();
            builder.Services.AddPerfCiJobStorage();
            using var host = builder.Build();
            await host.Services.MigrateDatabaseAsync(ct);
            await using var scope = host.Services.CreateAsyncScope();
            try
            {
                var result = await scope.ServiceProvider.GetRequiredService<ResultIngestor>().IngestAsync(
                    document, new IngestTarget(parse.GetValue(repository)!, parse.GetValue(commit)!) { Suite = parse.GetValue(suite), HardwareClass = parse.GetValue(hardwareClass) }, ct);
                // An upload is a run of its own, ended already: the servers analyse it (a runner's job is
                // analysed with its whole run, when the run ends).
                if (!result.AlreadyIngested)
                    scope.ServiceProvider.GetRequiredService<IBackgroundJobClient>().Enqueue<AnalyzeRunJob>(job => job.RunAsync(result.RunId, CancellationToken.None));
                await parse.InvocationConfiguration.Output.WriteLineAsync(result.AlreadyIngested
                    ? $"perfci upload: {path.Name} was already stored (run {result.RunId}); nothing changed."
                    : $"perfci upload: stored run {result.RunId}: {result.Measurements} measurements in {result.Series} series ({result.HardwareClass}).");
                return ExitCodes.Success;
            }
            catch (IngestException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"perfci upload: {path.Name}: {e.Message}");
                return ExitCodes.BadInput;
            }
        }));
        return upload;
    }

    /// <summary>A JSON object with PerfCI's schema, or with its 'source' and 'scenarios' (the schema may be left out).</summary>
    private static bool IsPerfCiDocument(string content)
    {
        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(content);
            var root = json.RootElement;
            return root.ValueKind == System.Text.Json.JsonValueKind.Object
                && ((root.TryGetProperty("schema", out var schema) && schema.ValueKind == System.Text.Json.JsonValueKind.String && schema.GetString()!.StartsWith("perfci.", StringComparison.Ordinal))
                    || (root.TryGetProperty("source", out _) && root.TryGetProperty("scenarios", out _)));
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>A host for a one-shot command: the server's settings (appsettings.json beside the binary) and its database.</summary>
    internal static HostApplicationBuilder CommandHost(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddPerfCiDatabase();
        return builder;
    }

    internal static async Task<int> GuardAsync(Func<Task<int>> action)
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
