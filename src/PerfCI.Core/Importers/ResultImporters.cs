using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>Every importer, and reading a file with the one its format names or its content shows.</summary>
public static class ResultImporters
{
    /// <summary>How much of a file <see cref="IResultImporter.CanRead"/> is shown.</summary>
    private const int HeadLength = 64 * 1024;

    /// <summary>In detection order: an importer whose signs are more specific comes first.</summary>
    public static IReadOnlyList<IResultImporter> All { get; } =
    [
        new LlamaBenchImporter(),
        new SglangOneBatchImporter(),
        new SglangServingImporter(),
        new VllmServingImporter(),
        new GuideLlmImporter(),
        new InferencePerfImporter(),
        new PerfAnalyzerImporter(),
        new EvalScopeImporter(),
        new GenAiPerfImporter(),
    ];

    public static IEnumerable<string> Formats => All.Select(i => i.Format);

    /// <summary>Imports content already read; <paramref name="fileName"/> is what messages call it.</summary>
    public static ResultDocument Import(string fileName, string content, string? format)
    {
        var importer = format is null ? Detect(fileName, content) : Find(format);
        return importer.Import(fileName, content);
    }

    public static IResultImporter Find(string format) =>
        All.FirstOrDefault(i => string.Equals(i.Format, format.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ImportException($"unknown format '{format}'; the formats are {string.Join(", ", Formats)}");

    /// <summary>The importer whose tool wrote this file, or an error that says to name the format.</summary>
    public static IResultImporter Detect(string fileName, string content)
    {
        if (string.IsNullOrWhiteSpace(content))
            throw new ImportException(fileName, null, null, "the file is empty");
        var head = content.Length > HeadLength ? content[..HeadLength] : content;
        return All.FirstOrDefault(i => i.CanRead(fileName, head))
            ?? throw new ImportException(fileName, null, null,
                $"not a result file of any supported tool ({string.Join(", ", Formats)}); use --format");
    }
}
