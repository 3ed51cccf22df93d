using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using PerfCI.Data;

namespace PerfCI.Migrations;

/// <summary>
/// Lets <c>dotnet ef migrations add</c> build the model without a server host. Adding a migration
/// needs no live database; applying one uses ConnectionStrings__PerfCI.
/// </summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<PerfCiDbContext>
{
    public PerfCiDbContext CreateDbContext(string[] args)
    {
        var connectionString = Environment.GetEnvironmentVariable("ConnectionStrings__PerfCI")
            ?? "Host=127.0.0.1;Database=perfci;Username=perfci";
        var options = new DbContextOptionsBuilder<PerfCiDbContext>();
        options.UsePerfCi(PerfCiDatabase.CreateDataSource(connectionString));
        return new PerfCiDbContext(options.Options);
    }
}
