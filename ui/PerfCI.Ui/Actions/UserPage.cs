using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using PerfCI.Core.Access;

namespace PerfCI.Ui.Actions;

/// <summary>
/// A page or component with actions: knows the signed-in user (from the cascading authentication
/// state) to show only the buttons their role allows, and reports an action's outcome. The server's
/// action services check the role again.
/// </summary>
public abstract class UserComponent : ComponentBase
{
    [CascadingParameter] private Task<AuthenticationState>? AuthenticationState { get; set; }
    [Inject] protected ISnackbar Snackbar { get; set; } = null!;

    protected ClaimsPrincipal User { get; private set; } = new(new ClaimsIdentity());
    protected bool CanMaintain => PerfCiRoles.CanMaintain(User);
    protected bool CanAdminister => PerfCiRoles.CanAdminister(User);

    protected override async Task OnParametersSetAsync()
    {
        if (AuthenticationState is not null)
            User = (await AuthenticationState).User;
        await base.OnParametersSetAsync();
    }

    /// <summary>Shows how an action ended; true when it succeeded.</summary>
    protected bool Report<T>(ActionOutcome<T> outcome, string done)
    {
        if (outcome.Succeeded)
            Snackbar.Add(done, Severity.Success);
        else
            Snackbar.Add(outcome.Describe(), outcome.Status == ActionStatus.Forbidden ? Severity.Error : Severity.Warning);
        return outcome.Succeeded;
    }
}
