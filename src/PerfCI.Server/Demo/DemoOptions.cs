namespace PerfCI.Server.Demo;

/// <summary>
/// The demo that the README's first command starts: a generated engine repository, a local runner
/// and runs of its history. Bound from the <c>Demo</c> section.
/// </summary>
public sealed class DemoOptions
{
    public const string SectionName = "Demo";

    /// <summary>
    /// Null means "on when PerfCI runs its own PostgreSQL" (no connection string): a first start on a
    /// laptop shows a full dashboard, a real deployment never grows a demo it did not ask for.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>Where the demo's repository, runner and login live, relative to the working directory.</summary>
    public string Directory { get; set; } = ".perfci/demo";

    /// <summary>The perfci-runner.dll to start; empty means the one built with the server.</summary>
    public string? RunnerPath { get; set; }

    /// <summary>The demo login, created as an admin on first start.</summary>
    public string AdminEmail { get; set; } = "demo@perfci.local";
}
