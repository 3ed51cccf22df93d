using System.CommandLine;
using PerfCI.Bench.Engine;
using PerfCI.Bench.Load;
using PerfCI.Bench.Suites;
using PerfCI.Core.Results;
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
            try
            {
                using var checkout = await OfflineCheckout.CloneAsync(parse.GetValue(repo)!.FullName, ct);
                var sha = await checkout.ResolveAsync(parse.GetValue(commit)!, "--commit", ct);
                await checkout.CheckoutAsync(sha, ct);
                var definition = await checkout.ReadSuiteAsync(parse.GetValue(suite), sha, ct);
                var document = await checkout.RunSuiteAsync(definition, sha, new ConsoleProgress(output), output.WriteLine, ct);
                document = document with { Hardware = await HardwareProbe.ProbeAsync(ct) };
                await File.WriteAllTextAsync(parse.GetValue(outFile)!.FullName, ResultDocumentJson.Serialize(document), ct);
                await output.WriteLineAsync($"perfci-runner exec: wrote {parse.GetValue(outFile)!.FullName}; store it with: perfci upload {parse.GetValue(outFile)!.Name} --repository OWNER/NAME --commit {sha}");
                return ExitCodes.Success;
            }
            catch (OfflineInputException e)
            {
                await error.WriteLineAsync($"perfci-runner exec: {e.Message}");
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
        });
        return command;
    }

    private sealed class ConsoleProgress(TextWriter output) : ISuiteProgress
    {
        public void Log(string line) => output.WriteLine($"{DateTime.Now:HH:mm:ss} {line}");

        public IProgress<int>? StartScenario(ScenarioSpec spec, int trial) => null;
    }
}
