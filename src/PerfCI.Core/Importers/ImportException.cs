namespace PerfCI.Core.Importers;

/// <summary>
/// A result file that cannot be imported. The message names the file, the line where the file has
/// lines that matter (JSON Lines, CSV), and the field: <c>results.jsonl:3: p99_ttft_ms: expected a number, was "fast"</c>.
/// </summary>
public sealed class ImportException : Exception
{
    public ImportException()
    {
    }

    public ImportException(string message) : base(message)
    {
    }

    public ImportException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public ImportException(string file, int? line, string? field, string problem, Exception? innerException = null)
        : base(Compose(file, line, field, problem), innerException)
    {
        File = file;
        Line = line;
        Field = field;
    }

    public string? File { get; }
    public int? Line { get; }
    public string? Field { get; }

    private static string Compose(string file, int? line, string? field, string problem)
    {
        var where = line is { } l ? $"{file}:{l}" : file;
        return string.IsNullOrEmpty(field) ? $"{where}: {problem}" : $"{where}: {field}: {problem}";
    }
}

/// <summary>Where in a file a value was read: the file, and the line when it helps to say it.</summary>
internal sealed record ImportLocation(string FileName, int? Line = null)
{
    public ImportException Error(string? field, string problem) => new(FileName, Line, field, problem);
}
