using Bunit;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Access;
using PerfCI.Ui.Runners;

namespace PerfCI.Ui.Tests.Pages;

public sealed class RegistrationTokenPanelTests : BunitContext
{
    private readonly RecordingRunnerActions _actions = new();

    public RegistrationTokenPanelTests()
    {
        Services.AddMudServicesForTests();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton<IRunnerActions>(_actions);
    }

    [Fact]
    public async Task Token_IsShownOnceWithItsRegisterCommand_AndCannotBeShownAgain()
    {
        AddAuthorization().SetAuthorized("ada").SetRoles(PerfCiRoles.Admin);
        var panel = Render<RegistrationTokenPanel>();

        await panel.Find("input[data-testid=token-name]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "gpu-1" });
        await panel.Find("input[data-testid=token-labels]").ChangeAsync(new Microsoft.AspNetCore.Components.ChangeEventArgs { Value = "h100, big" });
        await panel.Find("[data-testid=create-token]").ClickAsync(new MouseEventArgs());
        var command = panel.Find("[data-testid=register-command]").TextContent;
        await panel.Find("[data-testid=token-done]").ClickAsync(new MouseEventArgs());

        Assert.Equal("perfci-runner register --server http://localhost --token prt_1 --name gpu-1", command);
        var (user, _, name, labels, lifetime) = Assert.Single(_actions.Tokens);
        Assert.Equal(("ada", "gpu-1", TimeSpan.FromHours(24)), (user, name, lifetime));
        Assert.Equal(["h100", "big"], labels);
        Assert.Empty(panel.FindAll("[data-testid=token-created]"));
        Assert.DoesNotContain("prt_1", panel.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Panel_IsNotShown_ToAMaintainer()
    {
        AddAuthorization().SetAuthorized("mia").SetRoles(PerfCiRoles.Maintainer);

        var panel = Render<RegistrationTokenPanel>();

        Assert.Empty(panel.FindAll("[data-testid=token-panel]"));
    }
}
