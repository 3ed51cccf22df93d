namespace PerfCI.Testing;

/// <summary>A directory under the system temp folder, removed on dispose; traversable by others (PostgreSQL may run as another user).</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix = "perfci-test")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
        File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Files still held by a process that is going away; the OS cleans temp.
        }
        catch (UnauthorizedAccessException)
        {
            // A PostgreSQL data directory owned by the postgres account: left to the OS.
        }
    }
}
