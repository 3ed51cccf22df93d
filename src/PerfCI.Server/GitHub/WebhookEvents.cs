using System.Globalization;
using System.Text.Json;

namespace PerfCI.Server.GitHub;

/// <summary>A webhook event PerfCI acts on, read from GitHub's payload.</summary>
public abstract record WebhookEvent
{
    /// <summary>owner/name of the repository the event is about; null for installation events.</summary>
    public abstract string? Repository { get; }

    public virtual string? Action => null;
}

public sealed record PingEvent(string? Repository) : WebhookEvent
{
    public override string? Repository { get; } = Repository;
}

public sealed record PushCommit(string Sha, string Message, string AuthorName, string AuthorEmail, DateTimeOffset Timestamp, bool Distinct);

public sealed record PushEvent(
    string Owner, string Name, string Ref, string Before, string After, bool Deleted, IReadOnlyList<PushCommit> Commits,
    string? DefaultBranch, string Pusher, long? InstallationId) : WebhookEvent
{
    public override string Repository => $"{Owner}/{Name}";

    /// <summary>The branch pushed to; null for a tag.</summary>
    public string? Branch => Ref.StartsWith("refs/heads/", StringComparison.Ordinal) ? Ref["refs/heads/".Length..] : null;
}

public sealed record PullRequestEvent(
    string Verb, string Owner, string Name, int Number, string Title, string Author, string AuthorAssociation,
    string HeadSha, string HeadRef, string HeadRepository, string BaseSha, string BaseRef, bool Merged, DateTimeOffset UpdatedAt,
    string? Label, string Sender, long? InstallationId) : WebhookEvent
{
    public override string Repository => $"{Owner}/{Name}";

    public override string? Action => Verb;

    /// <summary>The head lives in another repository (a fork), or its fork was deleted.</summary>
    public bool FromFork => !string.Equals(HeadRepository, Repository, StringComparison.OrdinalIgnoreCase);
}

/// <summary>installation (created, deleted, suspend, unsuspend) or installation_repositories (added, removed).</summary>
public sealed record InstallationEvent(string Event, string Verb, long InstallationId, string Account, IReadOnlyList<string> Added, IReadOnlyList<string> Removed) : WebhookEvent
{
    public override string? Repository => null;

    public override string? Action => Verb;
}

/// <summary>What a payload turned out to be: an event to act on, one to ignore, or one with fields missing or wrong.</summary>
public sealed record WebhookParse(WebhookEvent? Event, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool Ignored => Event is null && Errors.Count == 0;
}

/// <summary>
/// Reads the events PerfCI handles out of GitHub's payloads (docs.github.com, "Webhook events and
/// payloads"). Only the fields PerfCI uses are read; each one that is missing or of the wrong type is
/// named by its path (<c>pull_request.head.sha</c>), so that a bad delivery says what is wrong with it.
/// </summary>
public static class WebhookEvents
{
    /// <summary>pull_request actions that change what is benchmarked or reported; the others are ignored.</summary>
    public static readonly IReadOnlySet<string> PullRequestActions = new HashSet<string>(StringComparer.Ordinal)
    {
        "opened", "synchronize", "reopened", "closed", "labeled", "unlabeled", "edited",
    };

    public static readonly IReadOnlySet<string> InstallationActions = new HashSet<string>(StringComparer.Ordinal)
    {
        "created", "deleted", "suspend", "unsuspend", "added", "removed",
    };

    public static WebhookParse Parse(string eventName, JsonElement root)
    {
        var reader = new Reader();
        if (root.ValueKind != JsonValueKind.Object)
            return new WebhookParse(null, new Dictionary<string, string[]> { ["body"] = ["Expected a JSON object."] });
        WebhookEvent? parsed = eventName switch
        {
            "ping" => new PingEvent(root.TryGetProperty("repository", out var r) && r.ValueKind == JsonValueKind.Object && r.TryGetProperty("full_name", out var f) ? f.GetString() : null),
            "push" => ReadPush(root, reader),
            "pull_request" when reader.Action(root) is { } action && PullRequestActions.Contains(action) => ReadPullRequest(root, action, reader),
            "installation" or "installation_repositories" when reader.Action(root) is { } action && InstallationActions.Contains(action) => ReadInstallation(eventName, root, action, reader),
            _ => null,
        };
        if (reader.Errors.Count > 0)
            return new WebhookParse(null, reader.Errors);
        return new WebhookParse(parsed, reader.Errors);
    }

    private static PushEvent? ReadPush(JsonElement root, Reader reader)
    {
        var @ref = reader.String(root, "ref", "ref");
        var before = reader.Sha(root, "before", "before");
        var after = reader.Sha(root, "after", "after");
        var deleted = reader.Bool(root, "deleted", "deleted");
        var (owner, name, defaultBranch) = ReadRepository(root, reader);
        var pusher = reader.Object(root, "pusher", "pusher") is { } p ? reader.String(p, "name", "pusher.name") : null;
        var commits = new List<PushCommit>();
        if (reader.Array(root, "commits", "commits") is { } array)
        {
            var i = 0;
            foreach (var commit in array.EnumerateArray())
            {
                var path = $"commits[{i++}]";
                if (commit.ValueKind != JsonValueKind.Object)
                {
                    reader.Error(path, "Expected an object.");
                    continue;
                }
                var sha = reader.Sha(commit, "id", $"{path}.id");
                var message = reader.String(commit, "message", $"{path}.message");
                var timestamp = reader.Timestamp(commit, "timestamp", $"{path}.timestamp");
                var author = reader.Object(commit, "author", $"{path}.author");
                var authorName = author is { } a ? reader.String(a, "name", $"{path}.author.name") : null;
                var authorEmail = author is { } e ? reader.String(e, "email", $"{path}.author.email", required: false) ?? "" : "";
                var distinct = !commit.TryGetProperty("distinct", out var d) || d.ValueKind != JsonValueKind.False;
                if (sha is not null && message is not null && timestamp is not null && authorName is not null)
                    commits.Add(new PushCommit(sha, message, authorName, authorEmail, timestamp.Value, distinct));
            }
        }
        if (@ref is null || before is null || after is null || owner is null || name is null || pusher is null)
            return null;
        return new PushEvent(owner, name, @ref, before, after, deleted, commits, defaultBranch, pusher, Installation(root));
    }

    private static PullRequestEvent? ReadPullRequest(JsonElement root, string action, Reader reader)
    {
        var number = reader.Int(root, "number", "number");
        var (owner, name, _) = ReadRepository(root, reader);
        var sender = reader.Object(root, "sender", "sender") is { } s ? reader.String(s, "login", "sender.login") : null;
        if (reader.Object(root, "pull_request", "pull_request") is not { } pull)
            return null;
        var title = reader.String(pull, "title", "pull_request.title");
        var author = reader.Object(pull, "user", "pull_request.user") is { } u ? reader.String(u, "login", "pull_request.user.login") : null;
        var association = reader.String(pull, "author_association", "pull_request.author_association");
        var updatedAt = reader.Timestamp(pull, "updated_at", "pull_request.updated_at");
        var merged = reader.Bool(pull, "merged", "pull_request.merged", required: false);
        string? headSha = null, headRef = null, headRepository = null, baseSha = null, baseRef = null;
        if (reader.Object(pull, "head", "pull_request.head") is { } head)
        {
            headSha = reader.Sha(head, "sha", "pull_request.head.sha");
            headRef = reader.String(head, "ref", "pull_request.head.ref");
            // A fork that was deleted leaves the pull request with a null head repository.
            headRepository = head.TryGetProperty("repo", out var repo) && repo.ValueKind == JsonValueKind.Object
                ? reader.String(repo, "full_name", "pull_request.head.repo.full_name")
                : "";
        }
        if (reader.Object(pull, "base", "pull_request.base") is { } @base)
        {
            baseSha = reader.Sha(@base, "sha", "pull_request.base.sha");
            baseRef = reader.String(@base, "ref", "pull_request.base.ref");
        }
        string? label = null;
        if (action is "labeled" or "unlabeled")
            label = reader.Object(root, "label", "label") is { } l ? reader.String(l, "name", "label.name") : null;
        if (number is null || owner is null || name is null || sender is null || title is null || author is null || association is null || updatedAt is null
            || headSha is null || headRef is null || headRepository is null || baseSha is null || baseRef is null)
            return null;
        return new PullRequestEvent(action, owner, name, number.Value, title, author, association, headSha, headRef, headRepository, baseSha, baseRef,
            merged, updatedAt.Value, label, sender, Installation(root));
    }

    private static InstallationEvent? ReadInstallation(string eventName, JsonElement root, string action, Reader reader)
    {
        if (reader.Object(root, "installation", "installation") is not { } installation)
            return null;
        var id = reader.Long(installation, "id", "installation.id");
        var account = reader.Object(installation, "account", "installation.account") is { } a ? reader.String(a, "login", "installation.account.login") : null;
        List<string> Names(string field)
        {
            var names = new List<string>();
            if (!root.TryGetProperty(field, out var array) || array.ValueKind == JsonValueKind.Null)
                return names;
            if (array.ValueKind != JsonValueKind.Array)
            {
                reader.Error(field, "Expected an array.");
                return names;
            }
            var i = 0;
            foreach (var repository in array.EnumerateArray())
            {
                if (repository.ValueKind == JsonValueKind.Object && reader.String(repository, "full_name", $"{field}[{i}].full_name") is { } fullName)
                {
                    if (fullName.Split('/') is [{ Length: > 0 }, { Length: > 0 }])
                        names.Add(fullName);
                    else
                        reader.Error($"{field}[{i}].full_name", "Expected owner/name.");
                }
                else if (repository.ValueKind != JsonValueKind.Object)
                {
                    reader.Error($"{field}[{i}]", "Expected an object.");
                }
                i++;
            }
            return names;
        }
        var (added, removed) = eventName == "installation"
            ? (action == "created" ? Names("repositories") : [], action == "deleted" ? Names("repositories") : [])
            : (Names("repositories_added"), Names("repositories_removed"));
        if (id is null || account is null)
            return null;
        return new InstallationEvent(eventName, action, id.Value, account, added, removed);
    }

    private static (string? Owner, string? Name, string? DefaultBranch) ReadRepository(JsonElement root, Reader reader)
    {
        if (reader.Object(root, "repository", "repository") is not { } repository)
            return (null, null, null);
        var fullName = reader.String(repository, "full_name", "repository.full_name");
        var defaultBranch = reader.String(repository, "default_branch", "repository.default_branch", required: false);
        if (fullName is null)
            return (null, null, defaultBranch);
        if (fullName.Split('/') is not [{ Length: > 0 } owner, { Length: > 0 } name])
        {
            reader.Error("repository.full_name", "Expected owner/name.");
            return (null, null, defaultBranch);
        }
        return (owner, name, defaultBranch);
    }

    /// <summary>Present when the delivery comes to a GitHub App.</summary>
    private static long? Installation(JsonElement root) =>
        root.TryGetProperty("installation", out var installation) && installation.ValueKind == JsonValueKind.Object
        && installation.TryGetProperty("id", out var id) && id.TryGetInt64(out var value) ? value : null;

    /// <summary>Reads fields and remembers, by path, every one that is missing or malformed.</summary>
    private sealed class Reader
    {
        public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

        public void Error(string path, string message) => Errors.TryAdd(path, [message]);

        public string? Action(JsonElement root) => String(root, "action", "action");

        public JsonElement? Object(JsonElement parent, string name, string path) => Get(parent, name, path, JsonValueKind.Object, "an object");

        public JsonElement? Array(JsonElement parent, string name, string path) => Get(parent, name, path, JsonValueKind.Array, "an array");

        public string? String(JsonElement parent, string name, string path, bool required = true)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required)
                    Error(path, "Required.");
                return null;
            }
            if (value.ValueKind != JsonValueKind.String)
            {
                Error(path, "Expected a string.");
                return null;
            }
            return value.GetString();
        }

        public string? Sha(JsonElement parent, string name, string path)
        {
            var sha = String(parent, name, path);
            if (sha is null)
                return null;
            if (sha.Length is not (40 or 64) || !sha.All(char.IsAsciiHexDigit))
            {
                Error(path, "Expected a commit sha (40 or 64 hex digits).");
                return null;
            }
            return sha.ToLowerInvariant();
        }

        public long? Long(JsonElement parent, string name, string path)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                Error(path, "Required.");
                return null;
            }
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out var number))
            {
                Error(path, "Expected an integer.");
                return null;
            }
            return number;
        }

        public int? Int(JsonElement parent, string name, string path) => Long(parent, name, path) is { } value
            ? value is > 0 and <= int.MaxValue ? (int)value : Invalid(path)
            : null;

        public bool Bool(JsonElement parent, string name, string path, bool required = true)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required)
                    Error(path, "Required.");
                return false;
            }
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                Error(path, "Expected true or false.");
                return false;
            }
            return value.GetBoolean();
        }

        /// <summary>ISO 8601 as in most payloads; a push's repository carries Unix seconds, which are read too.</summary>
        public DateTimeOffset? Timestamp(JsonElement parent, string name, string path)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                Error(path, "Required.");
                return null;
            }
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds))
                return DateTimeOffset.FromUnixTimeSeconds(seconds);
            if (value.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
                return at;
            Error(path, "Expected a timestamp.");
            return null;
        }

        private int? Invalid(string path)
        {
            Error(path, "Expected a positive integer.");
            return null;
        }

        private JsonElement? Get(JsonElement parent, string name, string path, JsonValueKind kind, string what)
        {
            if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                Error(path, "Required.");
                return null;
            }
            if (value.ValueKind != kind)
            {
                Error(path, $"Expected {what}.");
                return null;
            }
            return value;
        }
    }
}
