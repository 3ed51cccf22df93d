using PerfCI.Core.Importers;
using PerfCI.Core.Results;

namespace PerfCI.Bench;

/// <summary>Reading another tool's result file from disk, for the importers in Core (which do no I/O).</summary>
public static class ResultFiles
{
    /// <summary>Reads <paramref name="path"/> with the importer <paramref name="format"/> names, or the one that recognises it.</summary>
    public static ResultDocument Import(string path, string? format = null)
    {
        var fileName = Path.GetFileName(path);
        string content;
        try
        {
            content = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImportException(fileName, null, null, $"cannot read the file: {e.Message}", e);
        }
        return ResultImporters.Import(fileName, content, format);
    }
}
