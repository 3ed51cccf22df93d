namespace PerfCI.Testing;

/// <summary>Where things are in the source tree, found from the test's own output folder.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Release or Debug: whatever the tests themselves were built as.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    public static string ServerAssembly => Path.Combine(Root, "src", "PerfCI.Server", "bin", Configuration, "net10.0", "perfci.dll");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PerfCI.sln")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"PerfCI.sln not found above {AppContext.BaseDirectory}.");
    }
}
