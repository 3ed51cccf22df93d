using PerfCI.Core.Results;

namespace PerfCI.Core.Importers;

/// <summary>Turns one benchmark tool's result file into PerfCI's <see cref="ResultDocument"/>.</summary>
public interface IResultImporter
{
    /// <summary>The name given with <c>--format</c>, e.g. <c>vllm</c> or <c>llama-bench</c>.</summary>
    string Format { get; }

    /// <summary>Whether the file looks like this tool's output, from its name and its first characters.</summary>
    bool CanRead(string fileName, string head);

    /// <summary>Reads the whole file; a file it cannot use throws <see cref="ImportException"/>.</summary>
    ResultDocument Import(string fileName, string content);
}
