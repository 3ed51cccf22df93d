using System.Diagnostics;

namespace PerfCI.Server.Demo;

/// <summary>
/// A process's descendants read from /proc, each with its start time, so that a process is killed
/// only while it is still the one seen (a pid can be reused once it exits).
/// </summary>
internal static class ProcessTree
{
    /// <summary>Every descendant of <paramref name="root"/>: children, their children, and so on.</summary>
    public static IReadOnlyList<(int Pid, string StartTime)> Descendants(int root)
    {
        var children = new Dictionary<int, List<(int Pid, string StartTime)>>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || Stat(pid) is not var (parent, startTime))
                continue;
            if (!children.TryGetValue(parent, out var list))
                children[parent] = list = [];
            list.Add((pid, startTime));
        }
        var found = new List<(int, string)>();
        var pending = new Queue<int>([root]);
        while (pending.TryDequeue(out var pid))
        {
            foreach (var child in children.GetValueOrDefault(pid) ?? [])
            {
                found.Add(child);
                pending.Enqueue(child.Pid);
            }
        }
        return found;
    }

    public static string? StartTime(int pid) => Stat(pid)?.StartTime;

    /// <summary>
    /// SIGKILL to <paramref name="pid"/> and its descendants when it still runs and is still the
    /// process that started at <paramref name="startTime"/>; true when something was killed.
    /// </summary>
    public static bool Kill(int pid, string startTime)
    {
        if (Stat(pid) is not { } stat || stat.StartTime != startTime)
            return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
            return true;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false; // exited meanwhile, or not ours to kill
        }
    }

    /// <summary>Parent pid and start time (fields 4 and 22 of /proc/PID/stat), or null when the process is gone.</summary>
    private static (int Parent, string StartTime)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces: fields are counted after it.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 19 && int.TryParse(fields[1], out var parent) && fields[0] != "Z" ? (parent, fields[19]) : null;
    }
}
