using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace PerfCI.Ui.Compare;

/// <summary>
/// What the compare page was asked, as its URL says it. Three forms:
/// <c>/compare?repo=o/n&amp;base=sha&amp;head=sha[&amp;hw=class]</c> (any two commits),
/// <c>/compare?pr=o/n/123</c> (a pull request against its merge base, also <c>o/n#123</c>), and
/// <c>/compare?run=42[&amp;base=sha]</c> (one run; the link in PerfCI's pull-request comment).
/// </summary>
public sealed record CompareRequest
{
    public const string Path = "/compare";

    public string? Repository { get; init; }
    public string? Base { get; init; }
    public string? Head { get; init; }
    public string? HardwareClass { get; init; }
    public int? PullRequest { get; init; }
    public long? RunId { get; init; }

    public bool IsPullRequest => PullRequest is not null && Repository is not null;
    public bool IsRun => RunId is not null;
    public bool IsCommits => !IsRun && !IsPullRequest && Repository is not null && Base is not null && Head is not null;
    public bool IsEmpty => !IsRun && !IsPullRequest && !IsCommits;

    /// <summary>A problem with the URL worth telling, or null.</summary>
    public string? Problem { get; init; }

    public static CompareRequest FromUri(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var at = uri.IndexOf('?', StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(at < 0 ? "" : uri[at..].Split('#')[0]);
        string? One(string key) => query.TryGetValue(key, out var v) && v.Count > 0 && !string.IsNullOrWhiteSpace(v[0]) ? v[0]!.Trim() : null;
        var request = new CompareRequest { Repository = One("repo"), Base = One("base"), Head = One("head"), HardwareClass = One("hw") };
        if (One("run") is { } run)
        {
            return long.TryParse(run, NumberStyles.None, CultureInfo.InvariantCulture, out var runId)
                ? request with { RunId = runId }
                : request with { Problem = $"run: '{run}' is not a run number." };
        }
        if (One("pr") is { } pr)
        {
            // owner/name/123 or owner/name#123 (or owner/name/pull/123, as GitHub writes it).
            var parts = pr.Replace('#', '/').Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length is 3 or 4 && (parts.Length == 3 || parts[2] == "pull")
                && int.TryParse(parts[^1], NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0)
                return request with { Repository = $"{parts[0]}/{parts[1]}", PullRequest = number };
            return request with { Problem = $"pr: '{pr}' is not owner/name/number." };
        }
        if (request.Repository is { } repository && repository.Split('/') is not [{ Length: > 0 }, { Length: > 0 }])
            return request with { Problem = $"repo: '{repository}' is not owner/name." };
        return request;
    }

    public string ToUri()
    {
        var query = new StringBuilder();
        void Add(string key, string? value)
        {
            if (!string.IsNullOrEmpty(value))
                query.Append(query.Length == 0 ? '?' : '&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
        }
        if (IsRun)
        {
            Add("run", RunId!.Value.ToString(CultureInfo.InvariantCulture));
            Add("base", Base);
        }
        else if (IsPullRequest)
        {
            Add("pr", $"{Repository}/{PullRequest!.Value.ToString(CultureInfo.InvariantCulture)}");
        }
        else
        {
            Add("repo", Repository);
            Add("base", Base);
            Add("head", Head);
            Add("hw", HardwareClass);
        }
        return Path + query;
    }
}
