using System.CommandLine;
using PerfCI.Bench.Engine;
using PerfCI.Bench.Load;
using PerfCI.Bench.Suites;
using PerfCI.Core.Results;
using PerfCI.Core.Suites;
using Spectre.Console;

namespace PerfCI.Bench;

/// <summary><c>perfci-bench suite perfci.yml</c>: run one suite of a repository's definition, engine included.</summary>
internal static class SuiteCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "The perfci.yml to run." };
        var name = new Option<string?>("--name") { Description = "Which suite (required when the file has several)." };
        var checkout = new Option<DirectoryInfo?>("--checkout") { Description = "The engine's working directory, {checkout} in the file (default: the file's folder)." };
        var outFile = new Option<FileInfo?>("--out") { Description = "Write the result document here." };
        var json = new Option<bool>("--json") { Description = "Print the result document instead of the table." };
        var command = new Command("suite", "Run a suite of a perfci.yml: start the engine, measure cold start and every scenario, stop the engine.")
        {
            file, name, checkout, outFile, json,
        };
        command.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var path = parse.GetValue(file)!;
            SuiteFile suites;
            try
            {
                suites = SuiteParser.Parse(await File.ReadAllTextAsync(path.FullName, ct), path.Name);
            }
            catch (SuiteDefinitionException e)
            {
                await error.WriteLineAsync(e.Message);
                return BenchCommandLine.ExitBadInput;
            }
            catch (IOException e)
            {
                await error.WriteLineAsync($"{path.Name}: {e.Message}");
                return BenchCommandLine.ExitBadInput;
            }
            var wanted = parse.GetValue(name);
            var suite = wanted is null
                ? suites.Suites.Count == 1 ? suites.Suites[0] : null
                : suites.Find(wanted);
            if (suite is null)
            {
                await error.WriteLineAsync($"{path.Name}: choose a suite with --name: {string.Join(", ", suites.Suites.Select(s => s.Name))}");
                return BenchCommandLine.ExitBadInput;
            }

            var quiet = parse.GetValue(json);
            ResultDocument document;
            try
            {
                var directory = parse.GetValue(checkout)?.FullName ?? path.DirectoryName!;
                document = await SuiteRunner.RunAsync(suite, directory, quiet ? null : new ConsoleProgress(), ct);
            }
            catch (EngineException e)
            {
                await error.WriteLineAsync($"perfci-bench suite: {e.Message}. Last lines of the engine:");
                foreach (var line in e.LastLines.TakeLast(30))
                    await error.WriteLineAsync($"  {line}");
                return RunCommand.ExitEngineFailed;
            }
            var text = ResultDocumentJson.Serialize(document);
            if (parse.GetValue(outFile) is { } target)
                await File.WriteAllTextAsync(target.FullName, text, ct);
            if (quiet)
                await parse.InvocationConfiguration.Output.WriteLineAsync(text);
            else
                ResultTable.Write(AnsiConsole.Console, document);
            return document.Scenarios.SelectMany(s => s.Trials).All(t => t.Valid) ? 0 : 3;
        });
        return command;
    }

    private sealed class ConsoleProgress : ISuiteProgress
    {
        public void Log(string line) => AnsiConsole.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}[/] {Markup.Escape(line)}");

        public IProgress<int>? StartScenario(ScenarioSpec spec, int trial) => null;
    }
}
