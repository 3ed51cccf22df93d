namespace PerfCI.Core.Suites;

/// <summary>One problem in a suite file, where it is and which field it is about.</summary>
/// <param name="File">The file name given to the parser.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
/// <param name="Path">The field, e.g. <c>suites[0].scenarios[1].concurrency</c>; empty for the file as a whole.</param>
public sealed record SuiteDefinitionError(string File, int Line, int Column, string Path, string Message)
{
    /// <summary><c>perfci.yml:12:9: suites[0].scenarios[1].concurrency: expected a list of positive integers</c>.</summary>
    public override string ToString() =>
        Path.Length == 0 ? $"{File}:{Line}:{Column}: {Message}" : $"{File}:{Line}:{Column}: {Path}: {Message}";
}

/// <summary>A suite file that cannot be used; <see cref="Errors"/> lists every problem found, in file order.</summary>
public sealed class SuiteDefinitionException(IReadOnlyList<SuiteDefinitionError> errors)
    : Exception(string.Join('\n', errors))
{
    public IReadOnlyList<SuiteDefinitionError> Errors { get; } = errors;
}
