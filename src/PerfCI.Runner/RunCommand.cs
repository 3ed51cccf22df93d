using System.CommandLine;
using PerfCI.Runner.Agent;

namespace PerfCI.Runner;

/// <summary><c>perfci-runner run</c>: the agent loop.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "The credential file written by 'register' (default as there)." };
        var work = new Option<string?>("--work") { Description = "Where checkouts and mirrors live (default: _work beside the config)." };
        var heartbeat = new Option<double>("--heartbeat-seconds") { Description = "How often the lease is renewed.", DefaultValueFactory = _ => 30 };
        var backoff = new Option<double>("--backoff-seconds") { Description = "Least wait after a failed claim (up to twice that, jittered).", DefaultValueFactory = _ => 15 };
        var command = new Command("run", "Claim jobs from the server and run them, one at a time, until stopped.") { config, work, heartbeat, backoff };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(config) ?? RunnerConfig.DefaultPath;
            RunnerConfig settings;
            try
            {
                settings = await RunnerConfig.LoadAsync(path, ct);
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidDataException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"perfci-runner run: cannot read {path}: {e.Message}. Register first (perfci-runner register).");
                return ExitCodes.BadInput;
            }
            var directory = parse.GetValue(work) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "_work");
            var minimum = TimeSpan.FromSeconds(parse.GetValue(backoff));
            using var api = new ServerApi(settings, TimeSpan.FromSeconds(75));
            var agent = new RunnerAgent(api, new AgentOptions(directory, TimeSpan.FromSeconds(parse.GetValue(heartbeat)), minimum, minimum * 2),
                parse.InvocationConfiguration.Output);
            try
            {
                return await agent.RunAsync(ct);
            }
            catch (RunnerRevokedException e)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"perfci-runner run: {e.Message}. Not restarting.");
                return ExitCodes.Unauthorized;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }
        });
        return command;
    }
}
