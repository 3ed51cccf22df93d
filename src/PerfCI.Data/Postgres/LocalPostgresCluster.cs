using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace PerfCI.Data.Postgres;

/// <summary>
/// A PostgreSQL cluster of our own, made from the system's server binaries: the server's embedded
/// default when no connection string is configured, and the throwaway cluster of a test run.
/// Listens on 127.0.0.1 only, on a free port, with a generated password.
/// </summary>
public sealed class LocalPostgresCluster : IAsyncDisposable
{
    public const string SuperUser = "perfci";

    private readonly string _binDirectory;
    private readonly string _dataDirectory;
    private readonly string? _runAsUser;
    private readonly FileStream _ownerLock;
    private int _stopped;

    private LocalPostgresCluster(string binDirectory, string dataDirectory, string? runAsUser, FileStream ownerLock, int port, string password)
    {
        _binDirectory = binDirectory;
        _dataDirectory = dataDirectory;
        _runAsUser = runAsUser;
        _ownerLock = ownerLock;
        Port = port;
        Password = password;
    }

    public int Port { get; }
    public string Password { get; }
    public string DataDirectory => _dataDirectory;

    /// <summary>A connection string to <paramref name="database"/> on this cluster as its superuser.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Password = Password,
        Database = database,
    }.ConnectionString;

    /// <summary>
    /// Starts the cluster kept under <paramref name="rootDirectory"/> (creating it on first use).
    /// <paramref name="durable"/> false turns off fsync and friends: for test clusters only.
    /// </summary>
    public static async Task<LocalPostgresCluster> StartAsync(
        string rootDirectory,
        bool durable,
        IEnumerable<string>? searchRoots = null,
        CancellationToken cancellationToken = default)
    {
        var binDirectory = FindBinDirectory(
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries),
            searchRoots ?? DefaultSearchRoots)
            ?? throw new LocalPostgresException(NotFoundMessage);

        rootDirectory = Path.GetFullPath(rootDirectory);
        Directory.CreateDirectory(rootDirectory);
        var dataDirectory = Path.Combine(rootDirectory, "data");
        var passwordFile = Path.Combine(rootDirectory, "password");
        // PostgreSQL refuses to run as root; when we are root the cluster belongs to an
        // unprivileged account instead.
        var runAsUser = Environment.IsPrivilegedProcess ? FindUnprivilegedUser() : null;

        // One owner at a time: a second PerfCI process on the same directory must not stop the
        // first one's server. The lock dies with its process, so a crash leaves nothing to clean.
        var ownerLock = AcquireOwnerLock(rootDirectory);
        try
        {
            if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
                await InitializeAsync(binDirectory, rootDirectory, dataDirectory, passwordFile, runAsUser, durable, cancellationToken);

            var password = (await File.ReadAllTextAsync(passwordFile, cancellationToken)).Trim();
            await StopIfRunningAsync(binDirectory, dataDirectory, runAsUser, cancellationToken);

            // A free port can be taken between our probe and the server's bind; try a few.
            LocalPostgresException? lastError = null;
            for (var attempt = 0; attempt < 3; attempt++)
            {
                var port = FreePort();
                var cluster = new LocalPostgresCluster(binDirectory, dataDirectory, runAsUser, ownerLock, port, password);
                try
                {
                    await cluster.PgCtlAsync(["start", "-D", dataDirectory, "-w", "-t", "60", "-s",
                        "-l", Path.Combine(dataDirectory, "server.log"), "-o", $"-p {port}"], cancellationToken);
                    return cluster;
                }
                catch (LocalPostgresException e)
                {
                    lastError = e;
                }
            }
            throw new LocalPostgresException($"PostgreSQL in {dataDirectory} did not start: {lastError?.Message} (see {Path.Combine(dataDirectory, "server.log")})");
        }
        catch
        {
            await ownerLock.DisposeAsync();
            throw;
        }
    }

    private static FileStream AcquireOwnerLock(string rootDirectory)
    {
        var pidFile = Path.Combine(rootDirectory, "owner.pid");
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix.
            var stream = new FileStream(Path.Combine(rootDirectory, "owner.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            File.WriteAllText(pidFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            return stream;
        }
        catch (IOException)
        {
            var owner = File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : "?";
            throw new LocalPostgresException(
                $"Another PerfCI process (pid {owner}) is using the PostgreSQL cluster in {rootDirectory}. " +
                "Stop it, or give this one its own Database__LocalDirectory or ConnectionStrings__PerfCI.");
        }
    }

    public async Task CreateDatabaseIfMissingAsync(string database, string? template = null, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = database });
            if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
                return;
        }
        var builder = new NpgsqlCommandBuilder();
        var sql = $"CREATE DATABASE {builder.QuoteIdentifier(database)}"
            + (template is null ? "" : $" TEMPLATE {builder.QuoteIdentifier(template)}");
        await using var create = new NpgsqlCommand(sql, connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
            return;
        NpgsqlConnection.ClearAllPools();
        try
        {
            await PgCtlAsync(["stop", "-D", _dataDirectory, "-m", "fast", "-w", "-s"], CancellationToken.None);
        }
        finally
        {
            await _ownerLock.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (LocalPostgresException)
        {
            // Already stopped (a test stopped it on purpose); nothing is left to clean up.
        }
    }

    public static readonly IReadOnlyList<string> DefaultSearchRoots = ["/usr/lib/postgresql"];

    public static string NotFoundMessage =>
        "No PostgreSQL server binaries found (initdb and pg_ctl on PATH or in /usr/lib/postgresql/*/bin). " +
        "Install them (Debian/Ubuntu: 'apt-get install postgresql') or set ConnectionStrings__PerfCI " +
        "to an existing database, e.g. 'Host=db;Database=perfci;Username=perfci;Password=...'.";

    /// <summary>PATH first, then the newest version under each search root (Debian's layout).</summary>
    public static string? FindBinDirectory(IEnumerable<string> pathDirectories, IEnumerable<string> searchRoots)
    {
        foreach (var directory in pathDirectories)
        {
            if (HasServerBinaries(directory))
                return directory;
        }
        foreach (var root in searchRoots)
        {
            if (!Directory.Exists(root))
                continue;
            var newest = Directory.EnumerateDirectories(root)
                .Select(d => (Directory: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), CultureInfo.InvariantCulture, out var v) ? v : 0))
                .Where(c => HasServerBinaries(c.Directory))
                .OrderByDescending(c => c.Version)
                .Select(c => c.Directory)
                .FirstOrDefault();
            if (newest is not null)
                return newest;
        }
        return null;
    }

    private static bool HasServerBinaries(string directory) =>
        File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

    private static async Task InitializeAsync(
        string binDirectory, string rootDirectory, string dataDirectory, string passwordFile,
        string? runAsUser, bool durable, CancellationToken cancellationToken)
    {
        if (Directory.Exists(dataDirectory))
            Directory.Delete(dataDirectory, recursive: true);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // initdb reads the password from a file the cluster's owner can read; it is gone afterwards.
        var initPasswordFile = Path.Combine(rootDirectory, "initdb-password");
        await File.WriteAllTextAsync(initPasswordFile, password, cancellationToken);
        Directory.CreateDirectory(dataDirectory);
        if (runAsUser is not null)
        {
            EnsureTraversable(rootDirectory, runAsUser);
            await RunAsync("chown", ["-R", runAsUser, dataDirectory, initPasswordFile], null, cancellationToken);
        }
        try
        {
            await RunAsync(Path.Combine(binDirectory, "initdb"),
                ["-D", dataDirectory, "-U", SuperUser, "--pwfile", initPasswordFile, "-A", "scram-sha-256",
                 "-E", "UTF8", "--locale=C", "--no-instructions", .. durable ? Array.Empty<string>() : ["--no-sync"]],
                runAsUser, cancellationToken);
        }
        finally
        {
            File.Delete(initPasswordFile);
        }

        var settings = new List<string>
        {
            "listen_addresses = '127.0.0.1'",
            "unix_socket_directories = ''",
            "max_connections = 300",
            "shared_buffers = 128MB",
        };
        if (!durable)
            settings.AddRange(["fsync = off", "synchronous_commit = off", "full_page_writes = off"]);
        await File.AppendAllLinesAsync(Path.Combine(dataDirectory, "postgresql.conf"), ["", "# PerfCI", .. settings], cancellationToken);
    }

    private static async Task StopIfRunningAsync(string binDirectory, string dataDirectory, string? runAsUser, CancellationToken cancellationToken)
    {
        // A server left behind by a process that was killed: stop it, then start on a fresh port.
        if (!File.Exists(Path.Combine(dataDirectory, "postmaster.pid")))
            return;
        var status = await RunCoreAsync(Path.Combine(binDirectory, "pg_ctl"), ["status", "-D", dataDirectory], runAsUser, cancellationToken);
        if (status.ExitCode == 0)
            await RunAsync(Path.Combine(binDirectory, "pg_ctl"), ["stop", "-D", dataDirectory, "-m", "fast", "-w", "-s"], runAsUser, cancellationToken);
    }

    private Task PgCtlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(Path.Combine(_binDirectory, "pg_ctl"), arguments, _runAsUser, cancellationToken);

    private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments, string? runAsUser, CancellationToken cancellationToken)
    {
        var result = await RunCoreAsync(fileName, arguments, runAsUser, cancellationToken);
        if (result.ExitCode != 0)
        {
            var output = string.Join(' ', new[] { result.StdErr, result.StdOut }.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim()));
            throw new LocalPostgresException($"{Path.GetFileName(fileName)} {(arguments.Count > 0 ? arguments[0] : "")} failed (exit {result.ExitCode}): {output}");
        }
    }

    private static async Task<(int ExitCode, string StdOut, string StdErr)> RunCoreAsync(
        string fileName, IReadOnlyList<string> arguments, string? runAsUser, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            FileName = runAsUser is null ? fileName : "setpriv",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (runAsUser is not null)
        {
            foreach (var argument in new[] { $"--reuid={runAsUser}", $"--regid={runAsUser}", "--init-groups", "--", fileName })
                start.ArgumentList.Add(argument);
        }
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);

        using var process = Process.Start(start) ?? throw new LocalPostgresException($"Could not start {fileName}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout, await stderr);
    }

    private static string FindUnprivilegedUser()
    {
        var users = File.Exists("/etc/passwd") ? File.ReadAllLines("/etc/passwd").Select(l => l.Split(':')[0]).ToHashSet() : [];
        return users.Contains("postgres") ? "postgres" : "nobody";
    }

    private static void EnsureTraversable(string directory, string user)
    {
        for (var current = new DirectoryInfo(directory); current is not null; current = current.Parent)
        {
            var mode = File.GetUnixFileMode(current.FullName);
            if (!mode.HasFlag(UnixFileMode.OtherExecute))
            {
                throw new LocalPostgresException(
                    $"Running as root, PostgreSQL runs as '{user}', who cannot enter {current.FullName} (mode {Convert.ToString((int)mode, 8)}). " +
                    "Start PerfCI from a directory others can traverse, or set ConnectionStrings__PerfCI.");
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The local cluster could not be found, created or started; the message says why in one line.</summary>
public sealed class LocalPostgresException(string message) : Exception(message);
