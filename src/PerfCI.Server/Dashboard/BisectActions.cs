using Microsoft.AspNetCore.Components.Authorization;
using PerfCI.Core.Access;
using PerfCI.Core.Domain;
using PerfCI.Server.Bisect;
using PerfCI.Ui.Bisect;

namespace PerfCI.Server.Dashboard;

/// <summary>
/// The bisect pages' actions. The role is checked here, on the server, whatever the page showed:
/// starting and cancelling need a maintainer. Each call gets its own scope (and database context),
/// since a Blazor circuit lives far longer than one unit of work.
/// </summary>
public sealed class BisectActions(AuthenticationStateProvider authentication, IServiceScopeFactory scopes) : IBisectActions
{
    private const string NotAllowed = "Starting or cancelling a bisect needs the maintainer role.";

    public async Task<BisectActionResult> StartAsync(BisectForm form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        if (!PerfCiRoles.CanMaintain(user))
            return BisectActionResult.Refused("", NotAllowed);
        await using var scope = scopes.CreateAsyncScope();
        var commands = scope.ServiceProvider.GetRequiredService<BisectCommands>();
        // With an alert, the range and series the form shows came from it; what the user changed wins.
        var started = await commands.StartAsync(new StartBisectRequest(
            form.Repository, form.Good, form.Bad, null, form.AlertId, form.Suite, form.Scenario, form.Metric, form.HardwareClass,
            form.TrialsPerStep, null, form.MaxSteps, form.MaxRunnerHours, form.Mode == BisectMode.FullDag ? "full_dag" : "first_parent",
            user.Identity?.Name), cancellationToken);
        return started.BisectId is { } id ? BisectActionResult.Done(id) : new BisectActionResult(null, started.Errors);
    }

    public async Task<BisectActionResult> CancelAsync(long id, CancellationToken cancellationToken)
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        if (!PerfCiRoles.CanMaintain(user))
            return BisectActionResult.Refused("", NotAllowed);
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<BisectCommands>().CancelAsync(id, user.Identity?.Name, cancellationToken) switch
        {
            true => BisectActionResult.Done(id),
            false => BisectActionResult.Refused("", $"Bisect {id} has already ended."),
            null => BisectActionResult.Refused("", $"There is no bisect {id}."),
        };
    }
}
