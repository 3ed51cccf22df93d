using Bunit;
using Microsoft.Extensions.DependencyInjection;
using PerfCI.Core.Domain;
using PerfCI.Ui.Runs;

namespace PerfCI.Ui.Tests.Pages;

public sealed class JobLogTests : BunitContext
{
    [Fact]
    public void Log_AppendsEachNewBatch_AndStopsFollowingWhenTheJobEnds()
    {
        var queries = new StreamingLogQueries()
            .Then(JobState.Running, new JobLogLine(0, "cloning\n"), new JobLogLine(1, "building\n"))
            .Then(JobState.Running, new JobLogLine(2, "engine ready\n"))
            .Then(JobState.Succeeded, new JobLogLine(3, "done\n"));
        Services.AddMudServicesForTests();
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddSingleton<IRunQueries>(queries);

        var log = Render<JobLog>(p => p.Add(c => c.JobId, 42).Add(c => c.PollInterval, TimeSpan.FromMilliseconds(20)));

        log.WaitForAssertion(() => Assert.Equal("cloning\nbuilding\nengine ready\ndone\n", log.Find("[data-testid=job-log]").TextContent), TimeSpan.FromSeconds(10));
        log.WaitForAssertion(() => Assert.Empty(log.FindAll("[data-testid=job-log-live]")), TimeSpan.FromSeconds(10));
        lock (queries.Reads)
            Assert.Equal([-1, 1, 2], queries.Reads);
    }

    [Fact]
    public void Log_OfAFinishedJob_IsReadOnce()
    {
        var queries = new StreamingLogQueries().Then(JobState.Failed, new JobLogLine(0, "engine exited with 1\n"));
        Services.AddMudServicesForTests();
        Services.AddSingleton<IRunQueries>(queries);

        var log = Render<JobLog>(p => p.Add(c => c.JobId, 7).Add(c => c.PollInterval, TimeSpan.FromMilliseconds(10)));

        Assert.Equal("engine exited with 1\n", log.Find("[data-testid=job-log]").TextContent);
        Assert.Empty(log.FindAll("[data-testid=job-log-live]"));
        Assert.Equal([-1], queries.Reads);
    }
}
