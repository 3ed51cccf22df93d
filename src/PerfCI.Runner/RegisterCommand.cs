using System.CommandLine;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PerfCI.Runner.Hardware;

namespace PerfCI.Runner;

/// <summary><c>perfci-runner register</c>: exchange a one-time registration token for this runner's credential.</summary>
internal static class RegisterCommand
{
    public static Command Create()
    {
        var server = new Option<string>("--server") { Description = "The PerfCI server's URL.", Required = true };
        var token = new Option<string>("--token") { Description = "The registration token an admin created (perfci runner-token).", Required = true };
        var name = new Option<string?>("--name") { Description = "This runner's name (default: the host name)." };
        var labels = new Option<string[]>("--labels") { Description = "Labels jobs can require, e.g. --labels gpu h100.", AllowMultipleArgumentsPerToken = true };
        var config = new Option<string?>("--config") { Description = "Where to keep the credential (mode 0600). Default: $PERFCI_RUNNER_CONFIG or ~/.config/perfci-runner/runner.json." };
        var command = new Command("register", "Register this machine with a PerfCI server.") { server, token, name, labels, config };
        command.SetAction(async (parse, ct) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            if (!Uri.TryCreate(parse.GetValue(server), UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
            {
                await error.WriteLineAsync($"perfci-runner register: --server must be an http(s) URL, was '{parse.GetValue(server)}'.");
                return ExitCodes.BadInput;
            }
            var fingerprint = await HardwareProbe.ProbeAsync(ct);
            var runnerName = parse.GetValue(name) ?? Environment.MachineName;
            using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };
            HttpResponseMessage response;
            try
            {
                response = await http.PostAsJsonAsync("api/runners/register",
                    new { token = parse.GetValue(token), name = runnerName, labels = parse.GetValue(labels) ?? [], hardware = fingerprint }, ct);
            }
            catch (HttpRequestException e)
            {
                await error.WriteLineAsync($"perfci-runner register: cannot reach {url}: {e.Message}");
                return ExitCodes.ServerUnreachable;
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    await error.WriteLineAsync($"perfci-runner register: {(int)response.StatusCode} {await ProblemAsync(response, ct)}");
                    return response.StatusCode == HttpStatusCode.Unauthorized ? ExitCodes.Unauthorized : ExitCodes.BadInput;
                }
                var registered = await response.Content.ReadFromJsonAsync<Registered>(ct)
                    ?? throw new InvalidDataException("the server answered 200 with no body");
                var path = parse.GetValue(config) ?? RunnerConfig.DefaultPath;
                await new RunnerConfig(url.ToString(), registered.Id, registered.Name, registered.Credential, registered.HardwareClass, registered.Labels)
                    .SaveAsync(path, ct);
                await output.WriteLineAsync($"Registered '{registered.Name}' (runner {registered.Id}, hardware class {registered.HardwareClass}, labels {string.Join(", ", registered.Labels)}).");
                await output.WriteLineAsync($"Credential saved to {path} (mode 0600).");
                return ExitCodes.Success;
            }
        });
        return command;
    }

    private sealed record Registered(long Id, string Name, string Credential, string HardwareClass, string[] Labels);

    /// <summary>The problem-details body in one line: title, detail, and each field's errors.</summary>
    private static async Task<string> ProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            var parts = new List<string>();
            if (root.TryGetProperty("title", out var title))
                parts.Add(title.GetString() ?? "");
            if (root.TryGetProperty("detail", out var detail))
                parts.Add(detail.GetString() ?? "");
            if (root.TryGetProperty("errors", out var errors))
                parts.AddRange(errors.EnumerateObject().Select(e => $"{e.Name}: {string.Join(" ", e.Value.EnumerateArray().Select(v => v.GetString()))}"));
            return string.Join(" — ", parts.Where(p => p.Length > 0));
        }
        catch (JsonException)
        {
            return text;
        }
    }
}

/// <summary>Exit codes systemd tells apart (RestartPreventExitStatus for the ones a restart cannot fix).</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int BadInput = 2;
    /// <summary>Credential or registration token rejected: restarting will not help.</summary>
    public const int Unauthorized = 3;
    public const int ServerUnreachable = 4;
    /// <summary>The engine did not start, was not ready in time, or died.</summary>
    public const int EngineFailed = 5;
}
