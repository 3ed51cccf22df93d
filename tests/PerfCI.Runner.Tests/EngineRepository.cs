using System.Diagnostics;

namespace PerfCI.Runner.Tests;

/// <summary>A local git repository standing for an engine's: a perfci.yml and the files it names, in one commit.</summary>
internal static class EngineRepository
{
    /// <summary>
    /// The command that starts perfci-bench's simulated engine with a model file of the checkout,
    /// for a perfci.yml's <c>engine.command</c>.
    /// </summary>
    public static string SimulateCommand(string modelFile)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var bench = Path.Combine(AppContext.BaseDirectory, "perfci-bench.dll");
        return $"exec '{dotnet}' '{bench}' simulate --port {{port}} --config {{checkout}}/{modelFile}";
    }

    /// <summary>Writes <paramref name="files"/> (path, text) under <paramref name="path"/> and commits them; returns the commit's sha.</summary>
    public static string Create(string path, params (string Path, string Text)[] files)
    {
        Directory.CreateDirectory(path);
        foreach (var (file, text) in files)
            File.WriteAllText(Path.Combine(path, file), text);
        Git(path, "init", "--quiet", "--initial-branch=main");
        Git(path, "add", ".");
        Git(path, "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "-m", "Engine and its perfci.yml");
        return Git(path, "rev-parse", "HEAD").Trim();
    }

    /// <summary>Writes <paramref name="files"/> into an existing repository and commits them; returns the commit's sha.</summary>
    public static string Commit(string path, string message, params (string Path, string Text)[] files)
    {
        foreach (var (file, text) in files)
            File.WriteAllText(Path.Combine(path, file), text);
        Git(path, "add", ".");
        Git(path, "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "-m", message);
        return Git(path, "rev-parse", "HEAD").Trim();
    }

    /// <summary>Runs git in the repository (branches, merges), as the test's author.</summary>
    public static string Run(string path, params string[] arguments) =>
        Git(path, ["-c", "user.name=Test", "-c", "user.email=test@example.invalid", .. arguments]);

    private static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {error.Result}");
        return output;
    }
}
