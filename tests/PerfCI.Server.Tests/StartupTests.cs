using System.Net;
using Npgsql;
using PerfCI.Data.Postgres;
using PerfCI.Testing;

namespace PerfCI.Server.Tests;

/// <summary>The real server process: what a user sees at the command line when things are right and wrong.</summary>
public sealed class StartupTests
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Start_WithAnUnreachableDatabase_SaysSoInOneLine_AndExits2()
    {
        using var workdir = new TempDirectory();
        var port = FreePort.Next(); // nothing listens there

        await using var server = await ServerProcess.RunToExitAsync(
            [], new Dictionary<string, string?>
            {
                ["ConnectionStrings__PerfCI"] = $"Host=127.0.0.1;Port={port};Database=perfci;Username=perfci;Password=x",
                ["Database__StartupTimeout"] = "00:00:02",
            },
            workdir.Path, ExitTimeout);

        Assert.Equal(2, server.ExitCode);
        var error = SingleErrorLine(server.Output);
        Assert.Contains($"cannot reach the database at 127.0.0.1:{port}/perfci", error, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings__PerfCI", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAMalformedConnectionString_NamesTheSetting_AndExits2()
    {
        using var workdir = new TempDirectory();

        await using var server = await ServerProcess.RunToExitAsync(
            [], new Dictionary<string, string?> { ["ConnectionStrings__PerfCI"] = "Host=127.0.0.1;Bogus Key=1" },
            workdir.Path, ExitTimeout);

        Assert.Equal(2, server.ExitCode);
        var error = SingleErrorLine(server.Output);
        Assert.Contains("ConnectionStrings:PerfCI is not a valid PostgreSQL connection string", error, StringComparison.Ordinal);
        Assert.Contains("bogus key", error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Start_WithBadGitHubSettings_NamesEveryProblem_AndExits2()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(Start_WithBadGitHubSettings_NamesEveryProblem_AndExits2));
        using var workdir = new TempDirectory();

        await using var server = await ServerProcess.RunToExitAsync(
            [], new Dictionary<string, string?>
            {
                ["ConnectionStrings__PerfCI"] = connectionString,
                ["GitHub__AppId"] = "4242",
                ["GitHub__ApiBaseUrl"] = "ftp://github.example/",
            },
            workdir.Path, ExitTimeout);

        Assert.Equal(2, server.ExitCode);
        // The generic host also logs its start failure with a stack trace, as for any invalid option; the
        // line PerfCI prints is the one that says what to fix.
        var error = Assert.Single(server.Output.Split('\n'), l => l.StartsWith("perfci: invalid configuration:", StringComparison.Ordinal));
        Assert.Contains("GitHub:AppId needs the App's private key", error, StringComparison.Ordinal);
        Assert.Contains("GitHub:ApiBaseUrl must be an absolute http(s) URL", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithoutPostgresBinaries_SaysHowToInstallOrConfigure_AndExits2()
    {
        using var workdir = new TempDirectory();
        using var empty = new TempDirectory();

        await using var server = await ServerProcess.RunToExitAsync(
            [], new Dictionary<string, string?>
            {
                ["PATH"] = "/usr/bin:/bin",
                ["Database__PostgresSearchPaths__0"] = empty.Path,
            },
            workdir.Path, ExitTimeout);

        Assert.Equal(2, server.ExitCode);
        Assert.Equal($"perfci: {LocalPostgresCluster.NotFoundMessage}", SingleErrorLine(server.Output));
        Assert.False(Directory.Exists(Path.Combine(workdir.Path, ".perfci", "postgres", "data", "base")));
    }

    [Fact]
    public async Task Start_OnAnAddressInUse_EndsWithOneClearLine_AndExits2()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(Start_OnAnAddressInUse_EndsWithOneClearLine_AndExits2));
        using var workdir = new TempDirectory();
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        await using var server = await ServerProcess.RunToExitAsync(
            [], new Dictionary<string, string?> { ["ConnectionStrings__PerfCI"] = connectionString, ["Urls"] = $"http://127.0.0.1:{port}" },
            workdir.Path, ExitTimeout);

        Assert.Equal(2, server.ExitCode);
        var last = server.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
        Assert.StartsWith($"perfci: cannot listen: Failed to bind to address http://127.0.0.1:{port}", last, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_AppliesTheSchema_AndASecondRunIsANoOp()
    {
        var connectionString = await TestPostgres.CreateEmptyDatabaseAsync(nameof(Migrate_AppliesTheSchema_AndASecondRunIsANoOp));
        using var workdir = new TempDirectory();
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__PerfCI"] = connectionString };

        await using var first = await ServerProcess.RunToExitAsync(["migrate"], environment, workdir.Path, ExitTimeout);
        var tablesAfterFirst = await CountTablesAsync(connectionString);
        await using var second = await ServerProcess.RunToExitAsync(["migrate"], environment, workdir.Path, ExitTimeout);

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("schema is up to date", second.Output, StringComparison.Ordinal);
        Assert.True(tablesAfterFirst >= 18, $"{tablesAfterFirst} tables");
        Assert.Equal(tablesAfterFirst, await CountTablesAsync(connectionString));
    }

    [Fact]
    public async Task Upload_StoresAResultDocumentOnce_AndNamesTheFieldOfABadOne()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(Upload_StoresAResultDocumentOnce_AndNamesTheFieldOfABadOne));
        using var workdir = new TempDirectory();
        var good = Path.Combine(workdir.Path, "results.json");
        await File.WriteAllTextAsync(good, PerfCI.Core.Results.ResultDocumentJson.Serialize(new PerfCI.Core.Results.ResultDocument
        {
            Source = new("perfci-bench"),
            Scenarios = [new() { Name = "chat", Concurrency = 4, Metrics = [PerfCI.Core.Results.MetricCatalog.Samples("ttft_p50", 20, 21, 22)] }],
        }), TestContext.Current.CancellationToken);
        var bad = Path.Combine(workdir.Path, "bad.json");
        await File.WriteAllTextAsync(bad, "{\n  \"source\": {\"tool\": \"x\"},\n  \"scenarios\": [{\"name\": \"a\", \"concurrency\": 0, \"metrics\": []}]\n}", TestContext.Current.CancellationToken);
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__PerfCI"] = connectionString };
        string[] target = ["--repository", "acme/offline", "--commit", "abcdef1234567"];

        await using var first = await ServerProcess.RunToExitAsync(["upload", good, .. target], environment, workdir.Path, ExitTimeout);
        await using var again = await ServerProcess.RunToExitAsync(["upload", good, .. target], environment, workdir.Path, ExitTimeout);
        await using var broken = await ServerProcess.RunToExitAsync(["upload", bad, .. target], environment, workdir.Path, ExitTimeout);

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("stored run", first.Output, StringComparison.Ordinal);
        Assert.Contains("1 measurements in 1 series (unknown)", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, again.ExitCode);
        Assert.Contains("was already stored", again.Output, StringComparison.Ordinal);
        Assert.Equal(3, broken.ExitCode);
        Assert.Contains("perfci upload: bad.json: scenarios[0].concurrency: must be a positive integer, was 0", broken.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Upload_ImportsAnotherToolsFile_WithFormat()
    {
        var connectionString = await TestPostgres.CreateDatabaseAsync(nameof(Upload_ImportsAnotherToolsFile_WithFormat));
        using var workdir = new TempDirectory();
        var vllm = Path.Combine(workdir.Path, "vllm.json");
        await File.WriteAllTextAsync(vllm, """
            {"date": "20250101-120000", "backend": "vllm", "model_id": "meta-llama/Llama-3.1-8B", "tokenizer_id": "meta-llama/Llama-3.1-8B",
             "num_prompts": 100, "request_rate": "inf", "burstiness": 1.0, "max_concurrency": 16, "duration": 20.5, "completed": 100,
             "total_input_tokens": 102400, "total_output_tokens": 12800, "request_throughput": 4.87, "request_goodput": null,
             "output_throughput": 624.4, "total_token_throughput": 5619.5,
             "mean_ttft_ms": 120.5, "median_ttft_ms": 110.2, "std_ttft_ms": 30.1, "p99_ttft_ms": 250.3,
             "mean_tpot_ms": 22.1, "median_tpot_ms": 21.9, "std_tpot_ms": 1.2, "p99_tpot_ms": 25.0,
             "mean_itl_ms": 22.0, "median_itl_ms": 21.5, "std_itl_ms": 3.0, "p99_itl_ms": 40.1,
             "mean_e2el_ms": 2900.0, "median_e2el_ms": 2850.0, "std_e2el_ms": 100.0, "p99_e2el_ms": 3200.0}
            """, TestContext.Current.CancellationToken);
        var environment = new Dictionary<string, string?> { ["ConnectionStrings__PerfCI"] = connectionString };

        await using var upload = await ServerProcess.RunToExitAsync(
            ["upload", vllm, "--format", "vllm", "--repository", "acme/imported", "--commit", "1234567"], environment, workdir.Path, ExitTimeout);

        Assert.True(upload.ExitCode == 0, upload.Output);
        Assert.Contains("stored run", upload.Output, StringComparison.Ordinal);
        await using var db = TestPostgres.CreateContext(connectionString);
        var ttft = db.Measurements.Where(m => m.Series.Repository.Name == "imported" && m.Series.Metric == "ttft_p99").Select(m => m.Samples).ToList();
        Assert.Equal([250.3], Assert.Single(ttft));
    }

    [Fact]
    public async Task Serve_WithNoConnectionString_RunsItsOwnPostgres_UnderTheWorkingDirectory_AndStopsItOnExit()
    {
        using var workdir = new TempDirectory();
        var port = FreePort.Next();
        const string AdminPassword = "first-admin-secret-4711";
        var environment = new Dictionary<string, string?>
        {
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Access__AdminEmail"] = "first@perfci.test",
            ["Access__AdminPassword"] = AdminPassword,
            // The demo (on by default without a connection string) would race this test to add its repository.
            ["Demo__Enabled"] = "false",
        };

        await using (var server = ServerProcess.Start([], environment, workdir.Path))
        {
            await server.WaitForOkAsync(new Uri($"http://127.0.0.1:{port}/health/ready"), TimeSpan.FromSeconds(90));
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
            var home = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/"), TestContext.Current.CancellationToken);
            Assert.Contains("<title>PerfCI</title>", home, StringComparison.Ordinal);
            Assert.Contains("data-testid=\"empty-state\"", home, StringComparison.Ordinal);
            // The Hangfire dashboard is for admins: a browser without a session is sent to the login page.
            using var hangfire = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/hangfire"), TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.Redirect, hangfire.StatusCode);
            Assert.StartsWith("/account/login", hangfire.Headers.Location?.PathAndQuery, StringComparison.Ordinal);
            // The first admin came from the configuration, and its password is in no log line.
            await server.WaitForOutputAsync("The first admin is first@perfci.test", TimeSpan.FromSeconds(10));
            Assert.DoesNotContain(AdminPassword, server.Output, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(workdir.Path, ".perfci", "postgres", "data", "postmaster.pid")));

            server.Terminate();
            await server.WaitForExitAsync(ExitTimeout);
            Assert.True(server.ExitCode == 0, server.Output);
        }

        Assert.False(File.Exists(Path.Combine(workdir.Path, ".perfci", "postgres", "data", "postmaster.pid")),
            "The embedded PostgreSQL is still running after the server stopped.");

        // Second start: the same cluster and data, no new initdb, the schema already there.
        await using var again = ServerProcess.Start([], environment, workdir.Path);
        await again.WaitForOkAsync(new Uri($"http://127.0.0.1:{port}/health/ready"), TimeSpan.FromSeconds(90));
        again.Terminate();
        await again.WaitForExitAsync(ExitTimeout);
        Assert.Equal(0, again.ExitCode);
    }

    [Fact]
    public async Task HealthReady_Returns503_WhileTheDatabaseIsDown_And200WhenItIsBack()
    {
        using var workdir = new TempDirectory();
        await using var cluster = await LocalPostgresCluster.StartAsync(Path.Combine(workdir.Path, "pg"), durable: false,
            cancellationToken: TestContext.Current.CancellationToken);
        await cluster.CreateDatabaseIfMissingAsync("perfci", cancellationToken: TestContext.Current.CancellationToken);
        await using var server = new PerfCiServerFactory(cluster.ConnectionString("perfci"));
        using var client = server.CreateClient();
        using (var up = await client.GetAsync("/health/ready", TestContext.Current.CancellationToken))
            Assert.Equal(HttpStatusCode.OK, up.StatusCode);

        await cluster.StopAsync();
        using var down = await client.GetAsync("/health/ready", TestContext.Current.CancellationToken);
        using var live = await client.GetAsync("/health/live", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    private static string SingleErrorLine(string output)
    {
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.StartsWith("perfci:", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 1, $"Expected one 'perfci:' line, got:\n{output}");
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        return lines[0];
    }

    private static async Task<long> CountTablesAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
