using System.Diagnostics;
using System.Text;

namespace PerfCI.Testing;

/// <summary>
/// The real <c>perfci</c> server as a child process (<c>dotnet perfci.dll</c>), for what only a
/// process shows: exit codes, stderr, signals, files left in the working directory.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public int ExitCode => _process.ExitCode;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the server; <paramref name="environment"/> entries with a null value are removed.</summary>
    public static ServerProcess Start(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, string workingDirectory, string? assembly = null)
    {
        var start = new ProcessStartInfo
        {
            FileName = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet",
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Any of PerfCI's programs (the runner, perfci-bench) can be started the same way.
        start.ArgumentList.Add(assembly ?? RepositoryPaths.ServerAssembly);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // Nothing of the test process's own database settings leaks into the child.
        start.Environment.Remove("ConnectionStrings__PerfCI");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            if (value is null)
                start.Environment.Remove(key);
            else
                start.Environment[key] = value;
        }
        return new ServerProcess(Process.Start(start) ?? throw new InvalidOperationException("Could not start the server."));
    }

    /// <summary>Runs to exit (or kills it after <paramref name="timeout"/>) and returns the process for its exit code and output.</summary>
    public static async Task<ServerProcess> RunToExitAsync(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, string workingDirectory, TimeSpan timeout)
    {
        var server = Start(arguments, environment, workingDirectory);
        await server.WaitForExitAsync(timeout);
        return server;
    }

    /// <summary>
    /// An admin's API token for a server process's database, the way an operator gets one:
    /// <c>perfci create-admin</c>, then <c>perfci api-token create</c>, each as a process with
    /// <paramref name="environment"/> (its database settings). Send it as <c>Authorization: Bearer</c>.
    /// With the embedded PostgreSQL (no connection string), call it before starting the server: the
    /// commands use the cluster's directory themselves.
    /// </summary>
    public static async Task<string> CreateAdminTokenAsync(
        IReadOnlyDictionary<string, string?> environment, string workingDirectory, string email = "admin@perfci.test")
    {
        var password = "pw-" + Guid.NewGuid().ToString("N");
        await using var admin = await RunToExitAsync(["create-admin", "--email", email, "--password", password], environment, workingDirectory, TimeSpan.FromSeconds(90));
        if (admin.ExitCode != 0)
            throw new InvalidOperationException($"perfci create-admin exited with {admin.ExitCode}:\n{admin.Output}");
        await using var token = await RunToExitAsync(["api-token", "create", "--user", email, "--name", "tests"], environment, workingDirectory, TimeSpan.FromSeconds(90));
        return token.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("perfci_api_", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"perfci api-token create printed no token (exit {token.ExitCode}):\n{token.Output}");
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The server did not exit within {timeout}. Output:\n{Output}");
        }
        // The asynchronous readers may still hold the last lines.
        _process.WaitForExit();
    }

    /// <summary>Polls <paramref name="url"/> until it answers 200, or fails with the server's output.</summary>
    public async Task WaitForOkAsync(Uri url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The server exited with {_process.ExitCode}. Output:\n{Output}");
            try
            {
                using var response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening but slow to answer while it starts.
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{url} did not answer 200 within {timeout}. Output:\n{Output}");
    }

    /// <summary>Waits until the process has written a line containing <paramref name="text"/>, or fails with its output.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The process exited with {_process.ExitCode} before it wrote '{text}'. Output:\n{Output}");
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"The process did not write '{text}' within {timeout}. Output:\n{Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>Asks the server to stop the way systemd or docker would (SIGTERM).</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>SIGKILL to this process alone, as a crash or the OOM killer would: no handler runs, its children live on.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }
}
