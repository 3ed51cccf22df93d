using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace PerfCI.Testing;

/// <summary>A commit of a push event: its sha and message.</summary>
public sealed record PushedCommit(string Sha, string Message = "A change");

/// <summary>
/// Webhook bodies shaped as GitHub documents them (docs.github.com "Webhook events and payloads",
/// the octokit/webhooks payload examples): the same nesting and field names, fewer of the URL fields.
/// And the delivery itself: headers and the X-Hub-Signature-256 HMAC of the raw body.
/// </summary>
public static class GitHubWebhooks
{
    private static readonly DateTimeOffset Created = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>POSTs <paramref name="body"/> as GitHub would, signed with <paramref name="secret"/> (a wrong secret signs it wrongly).</summary>
    public static async Task<HttpResponseMessage> SendAsync(HttpClient client, string @event, string body, string secret, string? deliveryId = null, string path = "/api/github/webhook")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-GitHub-Event", @event);
        request.Headers.Add("X-GitHub-Delivery", deliveryId ?? Guid.NewGuid().ToString());
        request.Headers.Add("X-GitHub-Hook-ID", "123456");
        request.Headers.Add("X-GitHub-Hook-Installation-Target-Type", "repository");
        request.Headers.Add("X-Hub-Signature-256", Sign(secret, body));
        request.Headers.UserAgent.ParseAdd("GitHub-Hookshot/044aadd");
        return await client.SendAsync(request);
    }

    /// <summary>sha256=HEX of HMAC-SHA256(secret, body), as GitHub signs a delivery.</summary>
    public static string Sign(string secret, string body) =>
        "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))).ToLowerInvariant();

    public static string Ping(string repository) => new JsonObject
    {
        ["zen"] = "Keep it logically awesome.",
        ["hook_id"] = 123456,
        ["hook"] = new JsonObject
        {
            ["type"] = "Repository", ["id"] = 123456, ["name"] = "web", ["active"] = true, ["events"] = new JsonArray("push", "pull_request"),
            ["config"] = new JsonObject { ["content_type"] = "json", ["insecure_ssl"] = "0", ["url"] = "https://perfci.example/api/github/webhook" },
        },
        ["repository"] = Repository(repository),
        ["sender"] = User(repository.Split('/')[0]),
    }.ToJsonString();

    /// <summary>A push of <paramref name="commits"/> (oldest first) to <paramref name="branch"/>; the last one is the head.</summary>
    public static string Push(string repository, string branch, string before, IReadOnlyList<PushedCommit> commits, long? installationId = null, string defaultBranch = "main")
    {
        var owner = repository.Split('/')[0];
        JsonObject Commit(PushedCommit commit) => new()
        {
            ["id"] = commit.Sha,
            ["tree_id"] = new string('0', 40),
            ["distinct"] = true,
            ["message"] = commit.Message,
            ["timestamp"] = Created.ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
            ["url"] = $"https://github.com/{repository}/commit/{commit.Sha}",
            ["author"] = new JsonObject { ["name"] = "Test", ["email"] = "test@example.invalid", ["username"] = owner },
            ["committer"] = new JsonObject { ["name"] = "Test", ["email"] = "test@example.invalid", ["username"] = owner },
            ["added"] = new JsonArray(),
            ["removed"] = new JsonArray(),
            ["modified"] = new JsonArray("engine.json"),
        };
        var after = commits.Count == 0 ? new string('0', 40) : commits[^1].Sha;
        var payload = new JsonObject
        {
            ["ref"] = $"refs/heads/{branch}",
            ["before"] = before,
            ["after"] = after,
            ["repository"] = Repository(repository, defaultBranch, pushEvent: true),
            ["pusher"] = new JsonObject { ["name"] = owner, ["email"] = $"{owner}@users.noreply.github.com" },
            ["sender"] = User(owner),
            ["created"] = false,
            ["deleted"] = commits.Count == 0,
            ["forced"] = false,
            ["base_ref"] = null,
            ["compare"] = $"https://github.com/{repository}/compare/{before[..12]}...{after[..12]}",
            ["commits"] = new JsonArray([.. commits.Select(c => (JsonNode)Commit(c))]),
            ["head_commit"] = commits.Count == 0 ? null : Commit(commits[^1]),
        };
        if (installationId is { } id)
            payload["installation"] = new JsonObject { ["id"] = id, ["node_id"] = "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
        return payload.ToJsonString();
    }

    /// <summary>
    /// A pull_request event. <paramref name="headRepository"/> other than <paramref name="repository"/>
    /// makes it a fork's; <paramref name="authorAssociation"/> is GitHub's (OWNER, MEMBER, COLLABORATOR,
    /// CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR, NONE); <paramref name="label"/> is the label of a labeled/unlabeled action.
    /// </summary>
    public static string PullRequest(
        string action, string repository, int number, string headSha, string baseSha, string headRef = "feature", string baseRef = "main",
        string? headRepository = null, string author = "octocat", string authorAssociation = "MEMBER", string? label = null, string? sender = null,
        bool merged = false, long? installationId = null, string title = "Make decoding faster")
    {
        headRepository ??= repository;
        var closed = action == "closed";
        var payload = new JsonObject
        {
            ["action"] = action,
            ["number"] = number,
            ["pull_request"] = new JsonObject
            {
                ["url"] = $"https://api.github.com/repos/{repository}/pulls/{number}",
                ["id"] = 279_147_437 + number,
                ["node_id"] = "MDExOlB1bGxSZXF1ZXN0Mjc5MTQ3NDM3",
                ["html_url"] = $"https://github.com/{repository}/pull/{number}",
                ["diff_url"] = $"https://github.com/{repository}/pull/{number}.diff",
                ["patch_url"] = $"https://github.com/{repository}/pull/{number}.patch",
                ["issue_url"] = $"https://api.github.com/repos/{repository}/issues/{number}",
                ["number"] = number,
                ["state"] = closed ? "closed" : "open",
                ["locked"] = false,
                ["title"] = title,
                ["user"] = User(author),
                ["body"] = "This is a pretty simple change that we need to pull into main.",
                ["created_at"] = "2026-01-01T00:00:00Z",
                ["updated_at"] = "2026-01-01T00:00:00Z",
                ["closed_at"] = closed ? "2026-01-02T00:00:00Z" : null,
                ["merged_at"] = merged ? "2026-01-02T00:00:00Z" : null,
                ["merge_commit_sha"] = null,
                ["assignee"] = null,
                ["assignees"] = new JsonArray(),
                ["requested_reviewers"] = new JsonArray(),
                ["requested_teams"] = new JsonArray(),
                ["labels"] = label is null ? new JsonArray() : new JsonArray(Label(repository, label)),
                ["milestone"] = null,
                ["draft"] = false,
                ["commits_url"] = $"https://api.github.com/repos/{repository}/pulls/{number}/commits",
                ["comments_url"] = $"https://api.github.com/repos/{repository}/issues/{number}/comments",
                ["statuses_url"] = $"https://api.github.com/repos/{repository}/statuses/{headSha}",
                ["head"] = Branch(headRepository, headRef, headSha, fork: headRepository != repository),
                ["base"] = Branch(repository, baseRef, baseSha),
                ["author_association"] = authorAssociation,
                ["auto_merge"] = null,
                ["active_lock_reason"] = null,
                ["merged"] = merged,
                ["mergeable"] = null,
                ["rebaseable"] = null,
                ["mergeable_state"] = "unknown",
                ["merged_by"] = null,
                ["comments"] = 0,
                ["review_comments"] = 0,
                ["maintainer_can_modify"] = false,
                ["commits"] = 1,
                ["additions"] = 1,
                ["deletions"] = 1,
                ["changed_files"] = 1,
            },
            ["repository"] = Repository(repository),
            ["sender"] = User(sender ?? author),
        };
        if (label is not null)
            payload["label"] = Label(repository, label);
        if (installationId is { } id)
            payload["installation"] = new JsonObject { ["id"] = id, ["node_id"] = "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
        return payload.ToJsonString();
    }

    /// <summary>An installation event (created, deleted, suspend, unsuspend) of the App on <paramref name="repositories"/>.</summary>
    public static string Installation(string action, long installationId, long appId, string account, params string[] repositories) => new JsonObject
    {
        ["action"] = action,
        ["installation"] = InstallationObject(installationId, appId, account),
        ["repositories"] = new JsonArray([.. repositories.Select(r => (JsonNode)ShortRepository(r))]),
        ["requester"] = null,
        ["sender"] = User(account),
    }.ToJsonString();

    /// <summary>An installation_repositories event: repositories added to or removed from an installation.</summary>
    public static string InstallationRepositories(string action, long installationId, long appId, string account, string[] added, string[] removed) => new JsonObject
    {
        ["action"] = action,
        ["installation"] = InstallationObject(installationId, appId, account),
        ["repository_selection"] = "selected",
        ["repositories_added"] = new JsonArray([.. added.Select(r => (JsonNode)ShortRepository(r))]),
        ["repositories_removed"] = new JsonArray([.. removed.Select(r => (JsonNode)ShortRepository(r))]),
        ["requester"] = null,
        ["sender"] = User(account),
    }.ToJsonString();

    private static JsonObject InstallationObject(long installationId, long appId, string account) => new()
    {
        ["id"] = installationId,
        ["account"] = User(account),
        ["repository_selection"] = "selected",
        ["access_tokens_url"] = $"https://api.github.com/app/installations/{installationId}/access_tokens",
        ["repositories_url"] = "https://api.github.com/installation/repositories",
        ["html_url"] = $"https://github.com/settings/installations/{installationId}",
        ["app_id"] = appId,
        ["app_slug"] = "perfci",
        ["target_id"] = 21_031_067,
        ["target_type"] = "Organization",
        ["permissions"] = new JsonObject { ["checks"] = "write", ["contents"] = "read", ["issues"] = "write", ["metadata"] = "read", ["pull_requests"] = "write", ["statuses"] = "write" },
        ["events"] = new JsonArray("pull_request", "push"),
        ["created_at"] = "2026-01-01T00:00:00.000Z",
        ["updated_at"] = "2026-01-01T00:00:00.000Z",
        ["single_file_name"] = null,
    };

    private static JsonObject ShortRepository(string fullName) => new()
    {
        ["id"] = Math.Abs(fullName.GetHashCode(StringComparison.Ordinal)),
        ["node_id"] = "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=",
        ["name"] = fullName.Split('/')[1],
        ["full_name"] = fullName,
        ["private"] = false,
    };

    private static JsonObject Branch(string repository, string @ref, string sha, bool fork = false) => new()
    {
        ["label"] = $"{repository.Split('/')[0]}:{@ref}",
        ["ref"] = @ref,
        ["sha"] = sha,
        ["user"] = User(repository.Split('/')[0]),
        ["repo"] = Repository(repository, fork: fork),
    };

    private static JsonObject Label(string repository, string name) => new()
    {
        ["id"] = 1_362_934_389,
        ["node_id"] = "MDU6TGFiZWwxMzYyOTM0Mzg5",
        ["url"] = $"https://api.github.com/repos/{repository}/labels/{Uri.EscapeDataString(name)}",
        ["name"] = name,
        ["color"] = "d73a4a",
        ["default"] = false,
        ["description"] = "Benchmark this pull request",
    };

    /// <summary>The repository object; a push event's has the integer timestamps and master_branch GitHub sends there.</summary>
    private static JsonObject Repository(string fullName, string defaultBranch = "main", bool pushEvent = false, bool fork = false)
    {
        var (owner, name) = (fullName.Split('/')[0], fullName.Split('/')[1]);
        var repository = new JsonObject
        {
            ["id"] = Math.Abs(fullName.GetHashCode(StringComparison.Ordinal)),
            ["node_id"] = "MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=",
            ["name"] = name,
            ["full_name"] = fullName,
            ["private"] = false,
            ["owner"] = User(owner),
            ["html_url"] = $"https://github.com/{fullName}",
            ["description"] = null,
            ["fork"] = fork,
            ["url"] = $"https://api.github.com/repos/{fullName}",
            ["pulls_url"] = $"https://api.github.com/repos/{fullName}/pulls{{/number}}",
            ["statuses_url"] = $"https://api.github.com/repos/{fullName}/statuses/{{sha}}",
            ["created_at"] = pushEvent ? 1_767_225_600 : "2026-01-01T00:00:00Z",
            ["updated_at"] = "2026-01-01T00:00:00Z",
            ["pushed_at"] = pushEvent ? 1_767_225_600 : "2026-01-01T00:00:00Z",
            ["git_url"] = $"git://github.com/{fullName}.git",
            ["ssh_url"] = $"git@github.com:{fullName}.git",
            ["clone_url"] = $"https://github.com/{fullName}.git",
            ["svn_url"] = $"https://github.com/{fullName}",
            ["homepage"] = null,
            ["size"] = 0,
            ["language"] = "C#",
            ["archived"] = false,
            ["disabled"] = false,
            ["default_branch"] = defaultBranch,
            ["visibility"] = "public",
        };
        if (pushEvent)
        {
            repository["master_branch"] = defaultBranch;
            repository["stargazers"] = 0;
        }
        return repository;
    }

    private static JsonObject User(string login) => new()
    {
        ["login"] = login,
        ["id"] = Math.Abs(login.GetHashCode(StringComparison.Ordinal)),
        ["node_id"] = "MDQ6VXNlcjIxMDMxMDY3",
        ["avatar_url"] = $"https://avatars.githubusercontent.com/{login}",
        ["gravatar_id"] = "",
        ["url"] = $"https://api.github.com/users/{login}",
        ["html_url"] = $"https://github.com/{login}",
        ["type"] = "User",
        ["site_admin"] = false,
    };
}
