using System.Text.Json;

namespace PerfCI.Runner;

/// <summary>
/// What a registered runner keeps: where the server is and its credential. Written with mode 0600
/// (the credential is a secret); the server only has its hash.
/// </summary>
public sealed record RunnerConfig(string Server, long RunnerId, string Name, string Credential, string HardwareClass, string[] Labels)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string DefaultPath =>
        Environment.GetEnvironmentVariable("PERFCI_RUNNER_CONFIG") is { Length: > 0 } path
            ? path
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData), "perfci-runner", "runner.json");

    public async Task SaveAsync(string path, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        await using (var stream = new FileStream(path, options))
            await JsonSerializer.SerializeAsync(stream, this, Json, cancellationToken);
        // An existing file keeps its old mode on FileMode.Create: set it either way.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static async Task<RunnerConfig> LoadAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        return await JsonSerializer.DeserializeAsync<RunnerConfig>(stream, Json, cancellationToken)
            ?? throw new InvalidDataException($"{path}: empty runner configuration");
    }
}
