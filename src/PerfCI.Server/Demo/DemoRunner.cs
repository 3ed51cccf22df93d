using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PerfCI.Server.Demo;

/// <summary>
/// The demo's runner: a real <c>perfci-runner</c> child process, registered once with a token the
/// server creates (its credential kept under the demo directory), started with the server and
/// stopped with it, whole process tree included. Its output goes to a log file beside its credential.
/// </summary>
public sealed class DemoRunner(DemoTools tools, string directory, ILogger logger) : IAsyncDisposable
{
    public const string RunnerName = "demo-runner";
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(15);

    private readonly Lock _logGate = new();
    private Process? _process;
    private StreamWriter? _log;

    public string ConfigPath => Path.Combine(directory, "runner.json");
    public string LogPath => Path.Combine(directory, "runner.log");
    private string PidPath => Path.Combine(directory, "runner.pid");
    private string BinDirectory => Path.Combine(directory, "bin");

    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>The id and credential kept from an earlier registration, or null when there is none to read.</summary>
    public async Task<(long RunnerId, string Credential)?> ReadCredentialAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(ConfigPath))
            return null;
        try
        {
            var config = JsonNode.Parse(await File.ReadAllTextAsync(ConfigPath, cancellationToken));
            return config?["runnerId"]?.GetValue<long>() is { } id && config["credential"]?.GetValue<string>() is { Length: > 0 } credential
                ? (id, credential)
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Points a kept credential at <paramref name="serverUrl"/> (the server may listen elsewhere than last time).</summary>
    public async Task UseServerAsync(string serverUrl, CancellationToken cancellationToken)
    {
        var config = JsonNode.Parse(await File.ReadAllTextAsync(ConfigPath, cancellationToken))!.AsObject();
        if (config["server"]?.GetValue<string>() == serverUrl)
            return;
        config["server"] = serverUrl;
        await File.WriteAllTextAsync(ConfigPath, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
        File.SetUnixFileMode(ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary><c>perfci-runner register</c> with a one-time token: the runner probes its machine and keeps its credential.</summary>
    public async Task RegisterAsync(string serverUrl, string token, string name, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var start = Start(["register", "--server", serverUrl, "--token", token, "--name", name, "--labels", DemoRepository.RunnerLabel, "--config", ConfigPath]);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("perfci-runner could not be started");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"perfci-runner register exited with {process.ExitCode}: {(await error).Trim()} {(await output).Trim()}");
    }

    /// <summary>Starts <c>perfci-runner run</c>, after stopping one that a killed server may have left running.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await StopLeftoverAsync();
        WriteBenchOnPath();
        var start = Start(["run", "--config", ConfigPath]);
        start.Environment["PATH"] = BinDirectory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        _log = new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var process = Process.Start(start) ?? throw new InvalidOperationException("perfci-runner could not be started");
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await File.WriteAllTextAsync(PidPath, process.Id.ToString(CultureInfo.InvariantCulture), cancellationToken);
        logger.LogInformation("Demo runner started (pid {Pid}); its log is {LogPath}", process.Id, LogPath);
    }

    /// <summary>
    /// SIGTERM first: the runner stops its engine as a careful operator would and ends its job. What is
    /// left after the grace period, or outlived the runner (an engine leads its own session, so it is
    /// not the runner's to take down when the runner is cut short), is killed with its process group.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is not null)
        {
            await StopTreeAsync(process);
            process.Dispose();
            File.Delete(PidPath);
        }
        if (_log is not null)
            await _log.DisposeAsync();
    }

    private async Task StopTreeAsync(Process runner)
    {
        var tree = ProcessTree.Descendants(runner.Id);
        if (!runner.HasExited)
        {
            Signal(runner.Id, "TERM");
            using var grace = new CancellationTokenSource(StopGrace);
            try
            {
                await runner.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                logger.LogWarning("The demo runner did not stop within {Grace}; killing it", StopGrace);
            }
        }
        if (!runner.HasExited && ProcessTree.StartTime(runner.Id) is { } started)
            ProcessTree.Kill(runner.Id, started);
        foreach (var (pid, startTime) in tree)
        {
            if (ProcessTree.Kill(pid, startTime))
                logger.LogWarning("Killed process {Pid} the demo runner left behind", pid);
        }
    }

    private ProcessStartInfo Start(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(tools.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        start.ArgumentList.Add(tools.RunnerDll);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // The server's own settings are not the runner's.
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("Urls");
        return start;
    }

    /// <summary>The demo's perfci.yml runs <c>perfci-bench</c> from PATH: the one built with this server.</summary>
    private void WriteBenchOnPath()
    {
        Directory.CreateDirectory(BinDirectory);
        var script = Path.Combine(BinDirectory, "perfci-bench");
        File.WriteAllText(script, $"""
            #!/bin/sh
            # Written by PerfCI at each start: the perfci-bench built with the server.
            exec {Quote(tools.DotnetHost)} {Quote(tools.BenchDll)} "$@"

            """);
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>A server killed with SIGKILL cannot stop its runner; the next start does, when the pid is still that runner.</summary>
    private async Task StopLeftoverAsync()
    {
        if (!File.Exists(PidPath) || !int.TryParse(await File.ReadAllTextAsync(PidPath), out var pid))
            return;
        string commandLine;
        try
        {
            commandLine = (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // gone
        }
        if (!commandLine.Contains(tools.RunnerDll, StringComparison.Ordinal) || !commandLine.Contains(ConfigPath, StringComparison.Ordinal))
            return; // the pid was reused by another program
        logger.LogWarning("Stopping the demo runner (pid {Pid}) left running by an earlier server", pid);
        try
        {
            using var leftover = Process.GetProcessById(pid);
            await StopTreeAsync(leftover);
        }
        catch (ArgumentException)
        {
            // Exited meanwhile.
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false });
        kill?.WaitForExit();
    }

    private void Log(string? line)
    {
        if (line is null)
            return;
        var log = _log;
        try
        {
            lock (_logGate)
                log?.WriteLine(line);
        }
        catch (ObjectDisposedException)
        {
            // The last lines after the stop.
        }
    }
}
