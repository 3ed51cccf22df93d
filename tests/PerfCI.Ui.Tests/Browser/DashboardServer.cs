using System.Net.Http.Json;
using System.Text.Json;
using PerfCI.Testing;

namespace PerfCI.Ui.Tests.Browser;

/// <summary>
/// The real <c>perfci</c> server as a child process on its own PostgreSQL database, seeded once per
/// test run with a repository's history (<see cref="DashboardSeed"/>): results uploaded through the
/// runners' results API, so every series, change point and alert comes from the server's own
/// analysis. Shared by the browser tests of <see cref="BrowserCollection"/>.
/// </summary>
public sealed class DashboardServer : IAsyncLifetime
{
    private readonly TempDirectory _workdir = new("perfci-ui");
    private readonly Dictionary<string, string?> _environment = [];
    private ServerProcess? _server;

    public const string AdminEmail = "admin@perfci.test";

    public string Url { get; private set; } = "";
    public string ConnectionString { get; private set; } = "";
    /// <summary>The admin's password, for signing in through the login page.</summary>
    public string AdminPassword { get; } = "admin-" + Guid.NewGuid().ToString("N")[..16];
    /// <summary>A client of the server's HTTP API with the admin's API token.</summary>
    public HttpClient Http { get; private set; } = null!;
    public DashboardSeed Seed { get; private set; } = null!;
    public string WorkDirectory => _workdir.Path;

    /// <summary>The server's output so far, for a failed assertion's message.</summary>
    public string Output => _server?.Output ?? "";

    public async ValueTask InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync(nameof(DashboardServer));
        Url = $"http://127.0.0.1:{FreePort.Next()}";
        _environment["ConnectionStrings__PerfCI"] = ConnectionString;
        _environment["Urls"] = Url;
        _environment["Git__CacheDirectory"] = Path.Combine(_workdir.Path, "server-git");
        _environment["Runners__ClaimWait"] = "00:00:05";
        _environment["Demo__Enabled"] = "false";
        // The first admin from configuration, as an operator sets it up.
        _environment["Access__AdminEmail"] = AdminEmail;
        _environment["Access__AdminPassword"] = AdminPassword;
        _server = ServerProcess.Start([], _environment, _workdir.Path);
        await _server.WaitForOkAsync(new Uri($"{Url}/health/ready"), TimeSpan.FromSeconds(120));
        // Two one-shot commands at once (each a process of its own): the admin's API token to seed
        // with, and the registration token of the seeding runner.
        var adminToken = CreateApiTokenAsync(AdminEmail);
        var registrationToken = CreateRegistrationTokenAsync(DashboardSeed.RunnerLabel);
        Http = CreateClient(await adminToken);
        Seed = await DashboardSeed.CreateAsync(this, await registrationToken, TestContext.Current.CancellationToken);
    }

    /// <summary>A one-time runner registration token from <c>perfci runner-token</c>.</summary>
    public async Task<string> CreateRegistrationTokenAsync(params string[] labels)
    {
        var output = await RunCommandAsync(["runner-token", "--labels", .. labels]);
        return output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("perfci_reg_", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"perfci runner-token printed no token:\n{output}");
    }

    /// <summary>Runs <c>perfci ARGS</c> against this server's database (one-shot commands: runner-token, upload).</summary>
    public async Task<string> RunCommandAsync(params string[] arguments)
    {
        await using var command = await ServerProcess.RunToExitAsync(arguments, _environment, _workdir.Path, TimeSpan.FromSeconds(120));
        if (command.ExitCode != 0)
            throw new InvalidOperationException($"perfci {string.Join(' ', arguments)} exited with {command.ExitCode}:\n{command.Output}");
        return command.Output;
    }

    /// <summary>A client of the server's HTTP API; with a token, as that token's user.</summary>
    public HttpClient CreateClient(string? apiToken = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(60) };
        if (apiToken is not null)
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", apiToken);
        return client;
    }

    /// <summary>A new user with <paramref name="role"/> (viewer, maintainer, admin), made by the admin through the users API; returns its email and password.</summary>
    public async Task<(string Email, string Password)> CreateUserAsync(string role, CancellationToken ct)
    {
        var email = $"{role}-{Guid.NewGuid():N}@perfci.test";
        var password = "pw-" + Guid.NewGuid().ToString("N");
        using var created = await Http.PostAsJsonAsync("/api/users", new { email, password, role }, ct);
        if (!created.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST /api/users answered {(int)created.StatusCode}: {await created.Content.ReadAsStringAsync(ct)}");
        return (email, password);
    }

    /// <summary>An API token of the user <paramref name="email"/>, from <c>perfci api-token create</c>.</summary>
    public async Task<string> CreateApiTokenAsync(string email)
    {
        var output = await RunCommandAsync("api-token", "create", "--user", email, "--name", "ui-tests");
        return output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("perfci_api_", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"perfci api-token create printed no token:\n{output}");
    }

    /// <summary>GET <paramref name="path"/> as JSON, until <paramref name="done"/> holds or the timeout passes (then fails with the last answer).</summary>
    public async Task<JsonElement> WaitForJsonAsync(string path, Func<JsonElement, bool> done, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var json = await Http.GetFromJsonAsync<JsonElement>(path, ct);
            if (done(json))
                return json;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"GET {path} did not reach the expected state within {timeout}; last answer: {json}\nServer output:\n{Output}");
            await Task.Delay(250, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (_server is not null)
            await _server.DisposeAsync();
        _workdir.Dispose();
    }
}
