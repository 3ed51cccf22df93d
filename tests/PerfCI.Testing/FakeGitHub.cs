using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PerfCI.Testing;

/// <summary>One request the fake received, and what it answered.</summary>
public sealed record GitHubCall(DateTimeOffset At, string Method, string Path, string Query, string? Body, string Credential, int Status);

/// <summary>What the fake answers instead of doing the work.</summary>
public enum GitHubFault
{
    /// <summary>403 with GitHub's primary rate-limit body and X-RateLimit-Remaining: 0, resetting a moment later.</summary>
    RateLimited,
    /// <summary>500, as GitHub answers now and then.</summary>
    ServerError,
    /// <summary>404 Not Found.</summary>
    NotFound,
}

public sealed record FakeComment(long Id, string Repository, int IssueNumber, string Body, string Author, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A check run as it is now, with every (status, conclusion) it went through.</summary>
public sealed record FakeCheckRun(
    long Id, string Repository, string HeadSha, string Name, string Status, string? Conclusion, string? Title, string? Summary, string? Text,
    string? DetailsUrl, IReadOnlyList<string> History);

public sealed record FakeStatus(string Repository, string Sha, string State, string Context, string? Description, string? TargetUrl, DateTimeOffset At);

public sealed record FakeIssue(int Number, string Repository, string Title, string Body, IReadOnlyList<string> Labels, string State);

/// <summary>
/// GitHub's REST API, as much of it as PerfCI uses, served on 127.0.0.1 under <c>/api/v3</c> (the
/// Enterprise Server layout, so that Octokit is pointed at it by its base URL alone). It checks what
/// GitHub checks: an App's JWT is verified against the App's public key, an installation token must
/// have been issued and not expired, a token must be known. It records every call and can be told to
/// answer a call with a rate limit, a 500 or a 404 instead.
/// </summary>
public sealed class FakeGitHub : IAsyncDisposable
{
    public const long AppId = 4242;
    public const long InstallationId = 777;
    public const string PersonalToken = "ghp_perfcitestpersonaltoken000000000000000";
    public const string BotLogin = "perfci[bot]";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly WebApplication _app;
    private readonly RSA _appKey = RSA.Create(2048);
    private readonly Lock _lock = new();
    private readonly List<GitHubCall> _calls = [];
    private readonly List<FaultRule> _faults = [];
    private readonly Dictionary<string, DateTimeOffset> _installationTokens = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Repository, int Number), PullRequestData> _pulls = [];
    private readonly Dictionary<(string Repository, string Sha), List<int>> _commitPulls = [];
    private readonly List<CommentData> _comments = [];
    private readonly List<CheckRunData> _checkRuns = [];
    private readonly List<FakeStatus> _statuses = [];
    private readonly List<IssueData> _issues = [];
    private long _nextId = 1000;
    private int _nextIssueNumber = 500;

    private FakeGitHub(WebApplication app) => _app = app;

    /// <summary>The API root to configure (GitHub:ApiBaseUrl), ending in /api/v3/.</summary>
    public Uri ApiBaseUrl { get; private set; } = null!;

    /// <summary>The App's private key, to configure (GitHub:PrivateKeyPem); the fake keeps the public half.</summary>
    public string AppPrivateKeyPem => _appKey.ExportPkcs8PrivateKeyPem();

    /// <summary>False: the App lacks the checks permission, and creating a check run is refused (403) as GitHub does.</summary>
    public bool ChecksPermission { get; set; } = true;

    /// <summary>How long an installation token lives.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Every fault's rate limit resets this long after it is answered.</summary>
    public TimeSpan RateLimitResetAfter { get; set; } = TimeSpan.FromSeconds(2);

    public IReadOnlyList<GitHubCall> Calls
    {
        get
        {
            lock (_lock)
                return [.. _calls];
        }
    }

    public static async Task<FakeGitHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var fake = new FakeGitHub(app);
        fake.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.ApiBaseUrl = new Uri($"{address.TrimEnd('/')}/api/v3/");
        return fake;
    }

    /// <summary>
    /// The next <paramref name="times"/> calls of <paramref name="method"/> (or of any method, "*") on a
    /// path matching <paramref name="pathPattern"/> (a regex) get <paramref name="fault"/>.
    /// </summary>
    public void Fail(string method, string pathPattern, GitHubFault fault, int times = 1)
    {
        lock (_lock)
            _faults.Add(new FaultRule(method, new Regex(pathPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)), fault) { Remaining = times });
    }

    /// <summary>A pull request the API knows (GET .../pulls/{number}); its head commit is associated with it.</summary>
    public void AddPullRequest(string repository, int number, string headSha, string author = "octocat", string title = "A change")
    {
        lock (_lock)
        {
            _pulls[(repository, number)] = new PullRequestData(number, title, author, headSha);
            AssociateLocked(repository, headSha, number);
        }
    }

    /// <summary>The pull request that brought <paramref name="sha"/> in (GET .../commits/{sha}/pulls), as a merge or squash commit does.</summary>
    public void AssociateCommit(string repository, string sha, int number)
    {
        lock (_lock)
            AssociateLocked(repository, sha, number);
    }

    /// <summary>The pull request is deleted (a repository transferred or removed): everything about it answers 404.</summary>
    public void DeletePullRequest(string repository, int number)
    {
        lock (_lock)
        {
            _pulls.Remove((repository, number));
            _comments.RemoveAll(c => c.Repository == repository && c.IssueNumber == number);
        }
    }

    /// <summary>A comment someone else wrote, to sit among PerfCI's.</summary>
    public FakeComment AddComment(string repository, int number, string body, string author = "octocat")
    {
        lock (_lock)
        {
            var comment = new CommentData(++_nextId, repository, number, author, DateTimeOffset.UtcNow) { Body = body };
            _comments.Add(comment);
            return comment.Snapshot();
        }
    }

    public IReadOnlyList<FakeComment> Comments(string repository, int number)
    {
        lock (_lock)
            return [.. _comments.Where(c => c.Repository == repository && c.IssueNumber == number).Select(c => c.Snapshot())];
    }

    public IReadOnlyList<FakeCheckRun> CheckRuns(string repository)
    {
        lock (_lock)
            return [.. _checkRuns.Where(c => c.Repository == repository).Select(c => c.Snapshot())];
    }

    public IReadOnlyList<FakeStatus> Statuses(string repository)
    {
        lock (_lock)
            return [.. _statuses.Where(s => s.Repository == repository)];
    }

    public IReadOnlyList<FakeIssue> Issues(string repository)
    {
        lock (_lock)
            return [.. _issues.Where(i => i.Repository == repository).Select(i => i.Snapshot())];
    }

    /// <summary>Polls until <paramref name="condition"/> holds; the message names what was awaited and the calls so far.</summary>
    public async Task WaitForAsync(Func<FakeGitHub, bool> condition, TimeSpan timeout, string what, Func<string>? context = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"GitHub never saw {what} within {timeout}. Calls:\n{Describe()}\n{context?.Invoke()}");
            await Task.Delay(100);
        }
    }

    /// <summary>The call log, one line per call, for assertion messages.</summary>
    public string Describe() => string.Join("\n", Calls.Select(c => $"{c.At:HH:mm:ss.fff} {c.Method} {c.Path}{c.Query} -> {c.Status} ({c.Credential})"));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _appKey.Dispose();
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            context.Request.EnableBuffering();
            var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
            context.Request.Body.Position = 0;
            var path = context.Request.Path.Value ?? "";
            var credential = Authenticate(context.Request.Headers.Authorization.ToString());
            context.Items["credential"] = credential;
            FaultRule? fault;
            lock (_lock)
            {
                fault = _faults.FirstOrDefault(f => f.Remaining > 0 && (f.Method == "*" || string.Equals(f.Method, context.Request.Method, StringComparison.OrdinalIgnoreCase)) && f.Path.IsMatch(path));
                if (fault is not null)
                    fault.Remaining--;
            }
            if (fault is not null)
                await AnswerFaultAsync(context, fault.Fault);
            else
                await next(context);
            lock (_lock)
                _calls.Add(new GitHubCall(DateTimeOffset.UtcNow, context.Request.Method, path, context.Request.QueryString.Value ?? "", body.Length == 0 ? null : body, credential.Describe(), context.Response.StatusCode));
        });

        var api = app.MapGroup("/api/v3");
        api.MapPost("/app/installations/{id:long}/access_tokens", (long id, HttpContext context) => CreateInstallationToken(id, context));
        api.MapGet("/repos/{owner}/{repo}/installation", (string owner, string repo, HttpContext context) =>
            Credential(context).Kind == CredentialKind.AppJwt
                ? Results.Json(new { id = InstallationId, app_id = AppId, account = User(owner), target_type = "Organization" }, Json)
                : Unauthorized());
        api.MapGet("/repos/{owner}/{repo}/pulls/{number:int}", (string owner, string repo, int number, HttpContext context) => GetPullRequest(owner, repo, number, context));
        api.MapGet("/repos/{owner}/{repo}/commits/{sha}/pulls", (string owner, string repo, string sha, HttpContext context) => PullRequestsOfCommit(owner, repo, sha, context));
        api.MapGet("/repos/{owner}/{repo}/issues/{number:int}/comments", (string owner, string repo, int number, HttpContext context) => ListComments(owner, repo, number, context));
        api.MapPost("/repos/{owner}/{repo}/issues/{number:int}/comments", (string owner, string repo, int number, HttpContext context) => CreateComment(owner, repo, number, context));
        api.MapPatch("/repos/{owner}/{repo}/issues/comments/{id:long}", (string owner, string repo, long id, HttpContext context) => UpdateComment(owner, repo, id, context));
        api.MapPost("/repos/{owner}/{repo}/check-runs", (string owner, string repo, HttpContext context) => CreateCheckRun(owner, repo, context));
        api.MapPatch("/repos/{owner}/{repo}/check-runs/{id:long}", (string owner, string repo, long id, HttpContext context) => UpdateCheckRun(owner, repo, id, context));
        api.MapGet("/repos/{owner}/{repo}/commits/{sha}/check-runs", (string owner, string repo, string sha, HttpContext context) => ListCheckRuns(owner, repo, sha, context));
        api.MapPost("/repos/{owner}/{repo}/statuses/{sha}", (string owner, string repo, string sha, HttpContext context) => CreateStatus(owner, repo, sha, context));
        api.MapPost("/repos/{owner}/{repo}/issues", (string owner, string repo, HttpContext context) => CreateIssue(owner, repo, context));
        api.MapGet("/repos/{owner}/{repo}/issues", (string owner, string repo, HttpContext context) => ListIssues(owner, repo, context));
        app.MapFallback((HttpContext context) => NotFound());
    }

    private IResult CreateInstallationToken(long id, HttpContext context)
    {
        if (Credential(context).Kind != CredentialKind.AppJwt)
            return Results.Json(new { message = "A JSON web token could not be decoded", documentation_url = "https://docs.github.com/rest" }, Json, statusCode: 401);
        if (id != InstallationId)
            return NotFound();
        var token = "ghs_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(18)).ToLowerInvariant();
        var expires = DateTimeOffset.UtcNow + TokenLifetime;
        lock (_lock)
            _installationTokens[token] = expires;
        return Results.Json(new
        {
            token,
            expires_at = expires.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            permissions = new Dictionary<string, string> { ["checks"] = ChecksPermission ? "write" : "none", ["issues"] = "write", ["pull_requests"] = "write", ["statuses"] = "write", ["metadata"] = "read" },
            repository_selection = "all",
        }, Json, statusCode: 201);
    }

    private IResult GetPullRequest(string owner, string repo, int number, HttpContext context)
    {
        if (!Credential(context).MayCallRepositories)
            return Unauthorized();
        lock (_lock)
            return _pulls.TryGetValue(($"{owner}/{repo}", number), out var pull) ? Results.Json(PullJson(owner, repo, pull), Json) : NotFound();
    }

    private IResult PullRequestsOfCommit(string owner, string repo, string sha, HttpContext context)
    {
        if (!Credential(context).MayCallRepositories)
            return Unauthorized();
        lock (_lock)
        {
            var numbers = _commitPulls.GetValueOrDefault(($"{owner}/{repo}", sha)) ?? [];
            return Results.Json(numbers.Where(n => _pulls.ContainsKey(($"{owner}/{repo}", n))).Select(n => PullJson(owner, repo, _pulls[($"{owner}/{repo}", n)])).ToList(), Json);
        }
    }

    private IResult ListComments(string owner, string repo, int number, HttpContext context)
    {
        if (!Credential(context).MayCallRepositories)
            return Unauthorized();
        lock (_lock)
        {
            if (!_pulls.ContainsKey(($"{owner}/{repo}", number)) && !_issues.Any(i => i.Repository == $"{owner}/{repo}" && i.Number == number))
                return NotFound();
            var all = _comments.Where(c => c.Repository == $"{owner}/{repo}" && c.IssueNumber == number).OrderBy(c => c.Id).ToList();
            return Page(context, all, c => CommentJson(owner, repo, c));
        }
    }

    private async Task<IResult> CreateComment(string owner, string repo, int number, HttpContext context)
    {
        var credential = Credential(context);
        if (!credential.MayCallRepositories)
            return Unauthorized();
        var body = (await ReadJsonAsync(context))?["body"]?.GetValue<string>();
        if (body is null)
            return Invalid("body");
        lock (_lock)
        {
            if (!_pulls.ContainsKey(($"{owner}/{repo}", number)) && !_issues.Any(i => i.Repository == $"{owner}/{repo}" && i.Number == number))
                return NotFound();
            var comment = new CommentData(++_nextId, $"{owner}/{repo}", number, credential.Login, DateTimeOffset.UtcNow) { Body = body };
            _comments.Add(comment);
            return Results.Json(CommentJson(owner, repo, comment), Json, statusCode: 201);
        }
    }

    private async Task<IResult> UpdateComment(string owner, string repo, long id, HttpContext context)
    {
        if (!Credential(context).MayCallRepositories)
            return Unauthorized();
        var body = (await ReadJsonAsync(context))?["body"]?.GetValue<string>();
        if (body is null)
            return Invalid("body");
        lock (_lock)
        {
            var comment = _comments.FirstOrDefault(c => c.Id == id && c.Repository == $"{owner}/{repo}");
            if (comment is null)
                return NotFound();
            comment.Body = body;
            comment.UpdatedAt = DateTimeOffset.UtcNow;
            return Results.Json(CommentJson(owner, repo, comment), Json);
        }
    }

    private async Task<IResult> CreateCheckRun(string owner, string repo, HttpContext context)
    {
        var credential = Credential(context);
        if (credential.Kind != CredentialKind.InstallationToken)
            return Results.Json(new { message = "You must authenticate via a GitHub App.", documentation_url = "https://docs.github.com/rest/checks/runs#create-a-check-run" }, Json, statusCode: 403);
        if (!ChecksPermission)
            return Results.Json(new { message = "Resource not accessible by integration", documentation_url = "https://docs.github.com/rest/checks/runs#create-a-check-run" }, Json, statusCode: 403);
        var json = await ReadJsonAsync(context);
        if (json?["name"]?.GetValue<string>() is not { } name)
            return Invalid("name");
        if (json["head_sha"]?.GetValue<string>() is not { } headSha)
            return Invalid("head_sha");
        lock (_lock)
        {
            var run = new CheckRunData(++_nextId, $"{owner}/{repo}", headSha, name);
            Apply(run, json);
            _checkRuns.Add(run);
            return Results.Json(CheckRunJson(owner, repo, run), Json, statusCode: 201);
        }
    }

    private async Task<IResult> UpdateCheckRun(string owner, string repo, long id, HttpContext context)
    {
        if (Credential(context).Kind != CredentialKind.InstallationToken)
            return Results.Json(new { message = "You must authenticate via a GitHub App." }, Json, statusCode: 403);
        var json = await ReadJsonAsync(context);
        lock (_lock)
        {
            var run = _checkRuns.FirstOrDefault(c => c.Id == id && c.Repository == $"{owner}/{repo}");
            if (run is null)
                return NotFound();
            Apply(run, json);
            return Results.Json(CheckRunJson(owner, repo, run), Json);
        }
    }

    private IResult ListCheckRuns(string owner, string repo, string sha, HttpContext context)
    {
        if (Credential(context).Kind != CredentialKind.InstallationToken)
            return Results.Json(new { message = "You must authenticate via a GitHub App." }, Json, statusCode: 403);
        var name = context.Request.Query["check_name"].ToString();
        lock (_lock)
        {
            var runs = _checkRuns.Where(c => c.Repository == $"{owner}/{repo}" && c.HeadSha == sha && (name.Length == 0 || c.Name == name)).ToList();
            return Results.Json(new { total_count = runs.Count, check_runs = runs.Select(r => CheckRunJson(owner, repo, r)).ToList() }, Json);
        }
    }

    private async Task<IResult> CreateStatus(string owner, string repo, string sha, HttpContext context)
    {
        if (!Credential(context).MayCallRepositories)
            return Unauthorized();
        var json = await ReadJsonAsync(context);
        var state = json?["state"]?.GetValue<string>();
        if (state is not ("error" or "failure" or "pending" or "success"))
            return Invalid("state");
        if (json!["description"]?.GetValue<string>() is { Length: > 140 })
            return Invalid("description");
        var status = new FakeStatus($"{owner}/{repo}", sha, state, json["context"]?.GetValue<string>() ?? "default",
            json["description"]?.GetValue<string>(), json["target_url"]?.GetValue<string>(), DateTimeOffset.UtcNow);
        lock (_lock)
        {
            _statuses.Add(status);
            return Results.Json(new
            {
                id = ++_nextId, node_id = "SC_" + _nextId, state, description = status.Description, target_url = status.TargetUrl, context = status.Context,
                url = $"{ApiBaseUrl}repos/{owner}/{repo}/statuses/{sha}", created_at = Timestamp(status.At), updated_at = Timestamp(status.At),
                creator = User(BotLogin),
            }, Json, statusCode: 201);
        }
    }

    private async Task<IResult> CreateIssue(string owner, string repo, HttpContext context)
    {
        if (!Credential(context).MayCallRepositories)
            return Unauthorized();
        var json = await ReadJsonAsync(context);
        if (json?["title"]?.GetValue<string>() is not { Length: > 0 } title)
            return Invalid("title");
        var labels = json["labels"]?.AsArray().Select(l => l!.GetValue<string>()).ToList() ?? [];
        lock (_lock)
        {
            var issue = new IssueData(++_nextIssueNumber, $"{owner}/{repo}", title, json["body"]?.GetValue<string>() ?? "", labels);
            _issues.Add(issue);
            return Results.Json(IssueJson(owner, repo, issue), Json, statusCode: 201);
        }
    }

    private IResult ListIssues(string owner, string repo, HttpContext context)
    {
        if (!Credential(context).MayCallRepositories)
            return Unauthorized();
        var labels = context.Request.Query["labels"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var state = context.Request.Query["state"].ToString() is { Length: > 0 } s ? s : "open";
        lock (_lock)
        {
            var issues = _issues.Where(i => i.Repository == $"{owner}/{repo}" && labels.All(i.Labels.Contains) && (state == "all" || i.State == state))
                .OrderByDescending(i => i.Number).ToList();
            return Page(context, issues, i => IssueJson(owner, repo, i));
        }
    }

    /// <summary>GitHub's pagination: per_page (30 by default, 100 at most), page, and a Link header naming the next and last pages.</summary>
    private static IResult Page<T>(HttpContext context, List<T> all, Func<T, object> json)
    {
        var perPage = int.TryParse(context.Request.Query["per_page"], out var p) ? Math.Clamp(p, 1, 100) : 30;
        var page = int.TryParse(context.Request.Query["page"], out var n) ? Math.Max(1, n) : 1;
        var last = Math.Max(1, (all.Count + perPage - 1) / perPage);
        if (page < last)
        {
            var url = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.Path}";
            string Link(int target, string rel)
            {
                var query = context.Request.Query.Where(q => q.Key is not ("page" or "per_page")).Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}")
                    .Append($"per_page={perPage}").Append($"page={target}");
                return $"<{url}?{string.Join('&', query)}>; rel=\"{rel}\"";
            }
            context.Response.Headers["Link"] = $"{Link(page + 1, "next")}, {Link(last, "last")}";
        }
        return Results.Json(all.Skip((page - 1) * perPage).Take(perPage).Select(json).ToList(), Json);
    }

    private async Task AnswerFaultAsync(HttpContext context, GitHubFault fault)
    {
        switch (fault)
        {
            case GitHubFault.RateLimited:
                var reset = DateTimeOffset.UtcNow + RateLimitResetAfter;
                context.Response.StatusCode = 403;
                context.Response.Headers["X-RateLimit-Limit"] = "5000";
                context.Response.Headers["X-RateLimit-Remaining"] = "0";
                context.Response.Headers["X-RateLimit-Used"] = "5000";
                context.Response.Headers["X-RateLimit-Reset"] = Math.Ceiling(reset.ToUnixTimeMilliseconds() / 1000.0).ToString(CultureInfo.InvariantCulture);
                context.Response.Headers["X-RateLimit-Resource"] = "core";
                await context.Response.WriteAsJsonAsync(new
                {
                    message = $"API rate limit exceeded for installation ID {InstallationId}. If you reach out to GitHub Support for help, please include the request ID.",
                    documentation_url = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                    status = "403",
                }, Json);
                break;
            case GitHubFault.ServerError:
                context.Response.StatusCode = 500;
                await context.Response.WriteAsJsonAsync(new { message = "Server Error" }, Json);
                break;
            case GitHubFault.NotFound:
                context.Response.StatusCode = 404;
                await context.Response.WriteAsJsonAsync(new { message = "Not Found", documentation_url = "https://docs.github.com/rest", status = "404" }, Json);
                break;
        }
    }

    private static void Apply(CheckRunData run, JsonNode? json)
    {
        if (json?["status"]?.GetValue<string>() is { } status)
            run.Status = status;
        if (json?["conclusion"]?.GetValue<string>() is { } conclusion)
        {
            run.Conclusion = conclusion;
            run.Status = "completed";
        }
        else if (json?["status"] is not null)
        {
            run.Conclusion = null;
        }
        if (json?["details_url"]?.GetValue<string>() is { } details)
            run.DetailsUrl = details;
        if (json?["output"] is JsonObject output)
        {
            run.Title = output["title"]?.GetValue<string>();
            run.Summary = output["summary"]?.GetValue<string>();
            run.Text = output["text"]?.GetValue<string>();
        }
        run.History.Add(run.Conclusion is null ? run.Status : $"{run.Status}:{run.Conclusion}");
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private CredentialInfo Authenticate(string header)
    {
        var parts = header.Split(' ', 2, StringSplitOptions.TrimEntries);
        if (parts is not [var scheme, var value])
            return CredentialInfo.None;
        if (string.Equals(scheme, "Bearer", StringComparison.OrdinalIgnoreCase) && value.Count(c => c == '.') == 2)
            return VerifyJwt(value) is { } why ? new CredentialInfo(CredentialKind.Invalid, "", why) : new CredentialInfo(CredentialKind.AppJwt, "", "app jwt");
        if (value == PersonalToken)
            return new CredentialInfo(CredentialKind.PersonalToken, "perfci-bot", "token");
        lock (_lock)
        {
            if (_installationTokens.TryGetValue(value, out var expires))
                return expires > DateTimeOffset.UtcNow
                    ? new CredentialInfo(CredentialKind.InstallationToken, BotLogin, "installation " + value[..10])
                    : new CredentialInfo(CredentialKind.Invalid, "", "expired installation token");
        }
        return new CredentialInfo(CredentialKind.Invalid, "", "unknown token");
    }

    /// <summary>What GitHub checks of an App's JWT: RS256 by the App's key, issued by the App, not expired, at most 10 minutes long. Null when valid.</summary>
    private string? VerifyJwt(string jwt)
    {
        var parts = jwt.Split('.');
        try
        {
            var header = JsonNode.Parse(Base64Url(parts[0]));
            var payload = JsonNode.Parse(Base64Url(parts[1]));
            if (header?["alg"]?.GetValue<string>() != "RS256")
                return "jwt: alg is not RS256";
            if (!_appKey.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
                return "jwt: bad signature";
            var issuer = payload?["iss"] is JsonValue iss ? iss.ToString() : null;
            if (issuer != AppId.ToString(CultureInfo.InvariantCulture))
                return $"jwt: iss {issuer} is not the App";
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var issuedAt = payload!["iat"]!.GetValue<long>();
            var expiresAt = payload["exp"]!.GetValue<long>();
            if (expiresAt <= now || issuedAt > now + 60 || expiresAt - issuedAt > 600)
                return "jwt: outside its validity or longer than 10 minutes";
            return null;
        }
        catch (Exception e) when (e is JsonException or FormatException or NullReferenceException or InvalidOperationException or IndexOutOfRangeException)
        {
            return "jwt: malformed (" + e.Message + ")";
        }
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - padded.Length % 4) % 4));
    }

    private static CredentialInfo Credential(HttpContext context) => (CredentialInfo)context.Items["credential"]!;

    private static IResult Unauthorized() =>
        Results.Json(new { message = "Bad credentials", documentation_url = "https://docs.github.com/rest", status = "401" }, Json, statusCode: 401);

    private static IResult NotFound() =>
        Results.Json(new { message = "Not Found", documentation_url = "https://docs.github.com/rest", status = "404" }, Json, statusCode: 404);

    private static IResult Invalid(string field) => Results.Json(new
    {
        message = "Validation Failed",
        errors = new[] { new { resource = "Request", code = "invalid", field } },
        documentation_url = "https://docs.github.com/rest",
        status = "422",
    }, Json, statusCode: 422);

    private static string Timestamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static object User(string login) => new
    {
        login, id = Math.Abs(login.GetHashCode(StringComparison.Ordinal)), node_id = "U_" + login, type = login.EndsWith("[bot]", StringComparison.Ordinal) ? "Bot" : "User",
        site_admin = false, html_url = $"https://github.com/{login}",
    };

    private object PullJson(string owner, string repo, PullRequestData pull) => new
    {
        id = 100_000 + pull.Number, node_id = "PR_" + pull.Number, number = pull.Number, state = "open", locked = false, title = pull.Title,
        user = User(pull.Author), body = "", html_url = $"https://github.com/{owner}/{repo}/pull/{pull.Number}",
        url = $"{ApiBaseUrl}repos/{owner}/{repo}/pulls/{pull.Number}", created_at = Timestamp(DateTimeOffset.UtcNow), updated_at = Timestamp(DateTimeOffset.UtcNow),
        head = new { label = $"{owner}:feature", @ref = "feature", sha = pull.HeadSha, user = User(owner) },
        @base = new { label = $"{owner}:main", @ref = "main", sha = "", user = User(owner) },
        merged = false, draft = false, author_association = "CONTRIBUTOR",
    };

    private object CommentJson(string owner, string repo, CommentData comment) => new
    {
        id = comment.Id, node_id = "IC_" + comment.Id, url = $"{ApiBaseUrl}repos/{owner}/{repo}/issues/comments/{comment.Id}",
        html_url = $"https://github.com/{owner}/{repo}/pull/{comment.IssueNumber}#issuecomment-{comment.Id}",
        issue_url = $"{ApiBaseUrl}repos/{owner}/{repo}/issues/{comment.IssueNumber}",
        body = comment.Body, user = User(comment.Author), created_at = Timestamp(comment.CreatedAt), updated_at = Timestamp(comment.UpdatedAt),
        author_association = "NONE",
    };

    private object CheckRunJson(string owner, string repo, CheckRunData run) => new
    {
        id = run.Id, node_id = "CR_" + run.Id, head_sha = run.HeadSha, external_id = "", name = run.Name, status = run.Status, conclusion = run.Conclusion,
        url = $"{ApiBaseUrl}repos/{owner}/{repo}/check-runs/{run.Id}", html_url = $"https://github.com/{owner}/{repo}/runs/{run.Id}", details_url = run.DetailsUrl,
        started_at = Timestamp(DateTimeOffset.UtcNow), completed_at = run.Status == "completed" ? Timestamp(DateTimeOffset.UtcNow) : null,
        output = new { title = run.Title, summary = run.Summary, text = run.Text, annotations_count = 0, annotations_url = $"{ApiBaseUrl}repos/{owner}/{repo}/check-runs/{run.Id}/annotations" },
        check_suite = new { id = 1 }, app = new { id = AppId, slug = "perfci", name = "PerfCI" }, pull_requests = Array.Empty<object>(),
    };

    private object IssueJson(string owner, string repo, IssueData issue) => new
    {
        id = 200_000 + issue.Number, node_id = "I_" + issue.Number, number = issue.Number, title = issue.Title, body = issue.Body, state = issue.State,
        labels = issue.Labels.Select(l => new { id = Math.Abs(l.GetHashCode(StringComparison.Ordinal)), name = l, color = "ededed", @default = false }).ToList(),
        user = User(BotLogin), html_url = $"https://github.com/{owner}/{repo}/issues/{issue.Number}", url = $"{ApiBaseUrl}repos/{owner}/{repo}/issues/{issue.Number}",
        comments = 0, locked = false, created_at = Timestamp(DateTimeOffset.UtcNow), updated_at = Timestamp(DateTimeOffset.UtcNow),
    };

    private void AssociateLocked(string repository, string sha, int number)
    {
        var key = (repository, sha);
        if (!_commitPulls.TryGetValue(key, out var numbers))
            _commitPulls[key] = numbers = [];
        if (!numbers.Contains(number))
            numbers.Add(number);
    }

    private enum CredentialKind
    {
        None,
        Invalid,
        AppJwt,
        InstallationToken,
        PersonalToken,
    }

    private sealed record CredentialInfo(CredentialKind Kind, string Login, string Detail)
    {
        public static readonly CredentialInfo None = new(CredentialKind.None, "", "anonymous");

        public bool MayCallRepositories => Kind is CredentialKind.InstallationToken or CredentialKind.PersonalToken;

        public string Describe() => Detail;
    }

    private sealed record FaultRule(string Method, Regex Path, GitHubFault Fault)
    {
        public int Remaining { get; set; }
    }

    private sealed record PullRequestData(int Number, string Title, string Author, string HeadSha);

    private sealed class CommentData(long id, string repository, int issueNumber, string author, DateTimeOffset createdAt)
    {
        public long Id => id;
        public string Repository => repository;
        public int IssueNumber => issueNumber;
        public string Author => author;
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public required string Body { get; set; }
        public DateTimeOffset UpdatedAt { get; set; } = createdAt;

        public FakeComment Snapshot() => new(Id, Repository, IssueNumber, Body, Author, CreatedAt, UpdatedAt);
    }

    private sealed class CheckRunData(long id, string repository, string headSha, string name)
    {
        public long Id => id;
        public string Repository => repository;
        public string HeadSha => headSha;
        public string Name => name;
        public string Status { get; set; } = "queued";
        public string? Conclusion { get; set; }
        public string? Title { get; set; }
        public string? Summary { get; set; }
        public string? Text { get; set; }
        public string? DetailsUrl { get; set; }
        public List<string> History { get; } = [];

        public FakeCheckRun Snapshot() => new(Id, Repository, HeadSha, Name, Status, Conclusion, Title, Summary, Text, DetailsUrl, [.. History]);
    }

    private sealed class IssueData(int number, string repository, string title, string body, List<string> labels)
    {
        public int Number => number;
        public string Repository => repository;
        public string Title => title;
        public string Body => body;
        public List<string> Labels => labels;
        public string State { get; set; } = "open";

        public FakeIssue Snapshot() => new(Number, Repository, Title, Body, [.. Labels], State);
    }
}
