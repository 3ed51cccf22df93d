namespace PerfCI.Ui.Tests.Browser;

/// <summary>
/// The browser tests share one seeded server and one Chromium (starting and seeding them is the slow
/// part), and run one class at a time: on a small machine, parallel browsers would only time out.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<DashboardServer>, ICollectionFixture<Chromium>
{
    public const string Name = "Browser";
}
