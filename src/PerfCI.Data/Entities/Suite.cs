namespace PerfCI.Data.Entities;

/// <summary>A named suite of a repository. Its definition lives in perfci.yml at each commit.</summary>
public sealed class Suite
{
    public long Id { get; set; }
    public long RepositoryId { get; set; }
    public Repository Repository { get; set; } = null!;
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
