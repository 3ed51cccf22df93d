namespace PerfCI.Ui.Actions;

public enum ActionStatus
{
    Done,
    NotFound,
    /// <summary>Bad input: <see cref="ActionOutcome{T}.Errors"/> names each field.</summary>
    Invalid,
    /// <summary>The user's role does not allow it; the server refuses whatever the page showed.</summary>
    Forbidden,
    /// <summary>It exists already (a repository registered twice).</summary>
    Conflict,
}

/// <summary>
/// What an action of the dashboard (or the API, which calls the same service) came to. The server
/// checks the user's role in the action itself, so a page that showed a button by mistake still
/// cannot act.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1000", Justification = "Named constructors of the outcome read best where they are used: ActionOutcome<long>.Forbidden(...).")]
public sealed record ActionOutcome<T>(ActionStatus Status, T? Value = default, IReadOnlyDictionary<string, string[]>? Errors = null, string? Message = null)
{
    public bool Succeeded => Status == ActionStatus.Done;

    public static ActionOutcome<T> Done(T value) => new(ActionStatus.Done, value);
    public static ActionOutcome<T> NotFound(string? message = null) => new(ActionStatus.NotFound, Message: message);
    public static ActionOutcome<T> Forbidden(string requiredRole) => new(ActionStatus.Forbidden, Message: $"Only a {requiredRole} may do this.");
    public static ActionOutcome<T> Conflict(string message) => new(ActionStatus.Conflict, Message: message);
    public static ActionOutcome<T> Invalid(string field, string error) => new(ActionStatus.Invalid, Errors: new Dictionary<string, string[]> { [field] = [error] });
    public static ActionOutcome<T> Invalid(IReadOnlyDictionary<string, string[]> errors) => new(ActionStatus.Invalid, Errors: errors);

    /// <summary>One line for a snackbar.</summary>
    public string Describe() => Status switch
    {
        ActionStatus.Done => "Done.",
        ActionStatus.NotFound => Message ?? "It no longer exists.",
        ActionStatus.Forbidden => Message ?? "Not allowed.",
        ActionStatus.Conflict => Message ?? "It exists already.",
        _ => string.Join(" ", (Errors ?? new Dictionary<string, string[]>()).Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")),
    };
}
