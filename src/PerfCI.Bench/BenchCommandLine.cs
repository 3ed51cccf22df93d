using System.CommandLine;
using System.Net;
using PerfCI.Bench.Simulator;

namespace PerfCI.Bench;

/// <summary>The <c>perfci-bench</c> command line.</summary>
public static class BenchCommandLine
{
    public const int ExitBadInput = 2;

    public static RootCommand Build()
    {
        var root = new RootCommand("perfci-bench: benchmark OpenAI-compatible LLM serving engines, or simulate one.");
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(SuiteCommand.Create());
        root.Subcommands.Add(Simulate());
        root.Subcommands.Add(Import());
        foreach (var command in CeilingCommand.Create())
            root.Subcommands.Add(command);
        return root;
    }

    private static Command Import()
    {
        var file = new Argument<FileInfo>("file") { Description = "A result file of another tool (vLLM, SGLang, llama-bench, GuideLLM, ...)." };
        var format = new Option<string?>("--format") { Description = $"The tool that wrote it: {string.Join(", ", Core.Importers.ResultImporters.Formats)}. Default: recognised from the content." };
        var outFile = new Option<FileInfo?>("--out") { Description = "Write the PerfCI result document here instead of standard output." };
        var command = new Command("import", "Convert another tool's result file into a PerfCI result document.") { file, format, outFile };
        command.SetAction(async (parse, ct) =>
        {
            Core.Results.ResultDocument document;
            try
            {
                document = ResultFiles.Import(parse.GetValue(file)!.FullName, parse.GetValue(format));
            }
            catch (Core.Importers.ImportException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"perfci-bench import: {e.Message}");
                return ExitBadInput;
            }
            var json = Core.Results.ResultDocumentJson.Serialize(document);
            if (parse.GetValue(outFile) is { } target)
                await File.WriteAllTextAsync(target.FullName, json, ct);
            else
                await parse.InvocationConfiguration.Output.WriteLineAsync(json);
            return 0;
        });
        return command;
    }

    private static Command Simulate()
    {
        var port = new Option<int>("--port") { Description = "Port to listen on.", DefaultValueFactory = _ => 8000 };
        var host = new Option<string>("--host") { Description = "Address to listen on (0.0.0.0 in a container).", DefaultValueFactory = _ => "127.0.0.1" };
        var config = new Option<FileInfo?>("--config") { Description = "Engine model as JSON (latencies, batch capacity, jitter, failures). Default: an instant engine." };
        var command = new Command("simulate", "Serve an OpenAI-compatible streaming engine whose latencies follow a model; no GPU needed.")
        {
            port, host, config,
        };
        command.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            EngineModel model;
            try
            {
                model = parse.GetValue(config) is { } file ? EngineModel.Load(file.FullName) : new EngineModel();
            }
            catch (EngineModelException e)
            {
                await error.WriteLineAsync($"perfci-bench: {e.Message}");
                return ExitBadInput;
            }
            if (!IPAddress.TryParse(parse.GetValue(host), out var address))
            {
                await error.WriteLineAsync($"perfci-bench: --host: not an IP address: '{parse.GetValue(host)}'");
                return ExitBadInput;
            }
            await using var app = SimulatorServer.Build(model, address, parse.GetValue(port));
            await app.StartAsync(ct);
            await parse.InvocationConfiguration.Output.WriteLineAsync(
                $"perfci-bench: simulated engine '{model.Model}' on http://{address}:{parse.GetValue(port)} (OpenAI-compatible; /health, /v1/completions, /v1/chat/completions)");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C or SIGTERM: stop serving.
            }
            await app.StopAsync(CancellationToken.None);
            return 0;
        });
        return command;
    }
}
