using System.Diagnostics;

namespace PerfCI.Runner;

/// <summary>The child processes a runner starts besides the engine: git and the suite's build step.</summary>
internal static class Processes
{
    /// <summary>Runs git and returns its output; a failure throws with git's own message.</summary>
    public static async Task<string> GitAsync(IEnumerable<string> arguments, CancellationToken ct)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("git could not start");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"git {string.Join(' ', start.ArgumentList)} failed: {(await error).Trim()}");
    }

    /// <summary>Runs a shell command (the suite's build) in the checkout, each output line to <paramref name="onLine"/>.</summary>
    public static async Task ShellAsync(string command, string directory, IReadOnlyDictionary<string, string> environment, Action<string> onLine, CancellationToken ct)
    {
        var start = new ProcessStartInfo("/bin/sh") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("the build could not start");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) onLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) onLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"the build failed with exit code {process.ExitCode}");
    }
}
