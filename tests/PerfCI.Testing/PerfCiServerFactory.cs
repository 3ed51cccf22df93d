using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using PerfCI.Server.Repositories;

namespace PerfCI.Testing;

/// <summary>
/// The PerfCI server in-process on its own database, with intent methods that read as the tests'
/// story (<see cref="CreateRepositoryAsync"/>).
/// </summary>
public sealed class PerfCiServerFactory(string connectionString) : WebApplicationFactory<Program>
{
    public string ConnectionString => connectionString;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("ConnectionStrings:PerfCI", connectionString);
        builder.UseSetting("Database:StartupTimeout", "00:00:05");
        builder.UseSetting("Jobs:WorkerCount", "2");
    }

    public PerfCI.Data.PerfCiDbContext CreateDbContext() => TestPostgres.CreateContext(connectionString);

    public async Task<RepositoryDto> CreateRepositoryAsync(string owner, string name)
    {
        using var client = CreateClient();
        using var response = await client.PostAsJsonAsync("/api/repositories", new { owner, name });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<RepositoryDto>())!;
    }
}
