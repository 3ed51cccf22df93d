using System.Security.Claims;
using PerfCI.Core.Domain;
using PerfCI.Ui.Actions;

namespace PerfCI.Ui.Alerts;

public interface IAlertQueries
{
    Task<IReadOnlyList<AlertGroupItem>> ListAsync(AlertFilter filter, CancellationToken cancellationToken);
    Task<AlertFilterChoices> ChoicesAsync(CancellationToken cancellationToken);
}

/// <summary>Triage, checked against the user's role (maintainer) on the server.</summary>
public interface IAlertActions
{
    Task<ActionOutcome<AlertState>> TriageAlertAsync(ClaimsPrincipal user, long alertId, AlertState state, string? note, CancellationToken cancellationToken);
    Task<ActionOutcome<AlertState>> TriageGroupAsync(ClaimsPrincipal user, long groupId, AlertState state, string? note, CancellationToken cancellationToken);
    /// <summary>Accept the step as the new normal: later analysis takes it as baseline, its open alerts close as won't fix.</summary>
    Task<ActionOutcome<long>> AcceptStepAsync(ClaimsPrincipal user, long changePointId, string? note, CancellationToken cancellationToken);
}

/// <summary><paramref name="State"/>: null means the open states (new, acknowledged, confirmed).</summary>
public sealed record AlertFilter(string? Repository = null, AlertState? State = null, bool All = false, string? Metric = null, int Take = 100);

public sealed record AlertFilterChoices(IReadOnlyList<string> Repositories, IReadOnlyList<string> Metrics);

public sealed record AlertGroupItem(
    long Id, string Repository, string? FromSha, string ToSha, AlertState State, DateTimeOffset CreatedAt, string? CulpritSha, long? BisectId,
    IReadOnlyList<AlertItem> Alerts);

public sealed record AlertItem(
    long Id, string Suite, string Scenario, string Metric, string Unit, string HardwareClass, AlertKind Kind, AlertState State,
    double Magnitude, double MagnitudeLower, double MagnitudeUpper, long? ChangePointId, bool StepAccepted, string? TriagedBy, string? Note);
