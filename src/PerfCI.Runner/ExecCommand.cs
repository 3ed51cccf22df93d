using System.CommandLine;
using PerfCI.Bench.Engine;
using PerfCI.Bench.Load;
using PerfCI.Bench.Suites;
using PerfCI.Core.Results;
using PerfCI.Core.Suites;
using PerfCI.Runner.Hardware;

namespace PerfCI.Runner;

/// <summary>
/// <c>perfci-runner exec</c>: offline mode for machines that cannot reach the server. Checks out the
/// commit of a local repository, runs a suite of its perfci.yml and writes the same result document
/// the agent uploads; <c>perfci upload</c> stores it later.
/// </summary>
internal static class ExecCommand
{
    public static Command Create()
    {
        var repo = new Option<DirectoryInfo>("--repo") { Description = "A git repository (working copy or bare).", Required = true };
        var commit = new Option<string>("--commit") { Description = "The commit to benchmark.", DefaultValueFactory = _ => "HEAD" };
        var suite = new Option<string?>("--suite") { Description = "Which suite of perfci.yml (required when it has several)." };
        var outFile = new Option<FileInfo>("--out") { Description = "Where to write the result document.", Required = true };
        var command = new Command("exec", "Run a suite of a repository's perfci.yml at a commit, offline, and write the result document.") { repo, commit, suite, outFile };
        command.SetAction(async (parse, ct) =>
        {
            var error = parse.InvocationConfiguration.Error;
            var output = parse.InvocationConfiguration.Output;
            var checkout = Path.Combine(Path.GetTempPath(), $"perfci-exec-{Guid.NewGuid():N}");
            try
            {
                var sha = (await Processes.GitAsync(["-C", parse.GetValue(repo)!.FullName, "rev-parse", "--verify", $"{parse.GetValue(commit)}^{{commit}}"], ct)).Trim();
                await Processes.GitAsync(["clone", "--quiet", "--no-checkout", parse.GetValue(repo)!.FullName, checkout], ct);
                await Processes.GitAsync(["-C", checkout, "checkout", "--quiet", "--detach", sha], ct);
                var file = Path.Combine(checkout, "perfci.yml");
                if (!File.Exists(file))
                {
                    await error.WriteLineAsync($"perfci-runner exec: there is no perfci.yml at {sha[..12]}.");
                    return ExitCodes.BadInput;
                }
                var suites = SuiteParser.Parse(await File.ReadAllTextAsync(file, ct), "perfci.yml");
                var wanted = parse.GetValue(suite);
                var definition = wanted is null ? (suites.Suites.Count == 1 ? suites.Suites[0] : null) : suites.Find(wanted);
                if (definition is null)
                {
                    await error.WriteLineAsync($"perfci-runner exec: choose a suite with --suite: {string.Join(", ", suites.Suites.Select(s => s.Name))}");
                    return ExitCodes.BadInput;
                }
                if (!string.IsNullOrWhiteSpace(definition.Build))
                {
                    await output.WriteLineAsync($"build: {definition.Build}");
                    await Processes.ShellAsync(definition.Build, checkout, definition.Environment, output.WriteLine, ct);
                }
                var document = await SuiteRunner.RunAsync(definition, checkout, new ConsoleProgress(output), ct);
                document = document with
                {
                    Hardware = await HardwareProbe.ProbeAsync(ct),
                    Engine = new EngineInfo(Commit: sha),
                };
                await File.WriteAllTextAsync(parse.GetValue(outFile)!.FullName, ResultDocumentJson.Serialize(document), ct);
                await output.WriteLineAsync($"perfci-runner exec: wrote {parse.GetValue(outFile)!.FullName}; store it with: perfci upload {parse.GetValue(outFile)!.Name} --repository OWNER/NAME --commit {sha}");
                return ExitCodes.Success;
            }
            catch (SuiteDefinitionException e)
            {
                await error.WriteLineAsync(e.Message);
                return ExitCodes.BadInput;
            }
            catch (EngineException e)
            {
                await error.WriteLineAsync($"perfci-runner exec: {e.Message}. Last lines of the engine:");
                foreach (var line in e.LastLines.TakeLast(30))
                    await error.WriteLineAsync($"  {line}");
                return ExitCodes.EngineFailed;
            }
            catch (InvalidOperationException e)
            {
                await error.WriteLineAsync($"perfci-runner exec: {e.Message}");
                return ExitCodes.BadInput;
            }
            finally
            {
                if (Directory.Exists(checkout))
                    Directory.Delete(checkout, recursive: true);
            }
        });
        return command;
    }

    private sealed class ConsoleProgress(TextWriter output) : ISuiteProgress
    {
        public void Log(string line) => output.WriteLine($"{DateTime.Now:HH:mm:ss} {line}");

        public IProgress<int>? StartScenario(ScenarioSpec spec, int trial) => null;
    }
}
