using System.CommandLine;
using System.Text.Json;
using PerfCI.Testing;

namespace PerfCI.Runner.Tests;

/// <summary>
/// <c>perfci-runner bisect</c> on a local repository whose simulated engine gets slower at one commit:
/// real checkouts, real engine processes, real measurements.
/// </summary>
public sealed class BisectCommandTests(ITestOutputHelper log)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Twelve commits; the sixth does not build, the eighth makes the prefill 15% slower (200 to 230 ms, so TTFT from about 205 to
    /// 235 ms). A long single step keeps the few milliseconds a loaded machine adds to each step of the
    /// simulated engine far under the change; short decode steps would drift by as much as the change.
    /// </summary>
    private static (string Repository, List<string> Shas) History(string path)
    {
        var suite = Suite();
        var shas = new List<string> { EngineRepository.Create(path, ("perfci.yml", suite), ("engine.json", Engine(200)), ("notes.txt", "0")) };
        for (var i = 1; i < 12; i++)
        {
            shas.Add(i switch
            {
                7 => EngineRepository.Commit(path, "Prefill: a slower attention kernel", ("engine.json", Engine(230)), ("notes.txt", $"{i}")),
                // The suite's build step fails where this file exists: the bisect's first pick does not build.
                5 => EngineRepository.Commit(path, "Notes 5, does not build", ("broken", "yes"), ("notes.txt", $"{i}")),
                6 => Fixed(),
                _ => EngineRepository.Commit(path, $"Notes {i}", ("notes.txt", $"{i}")),
            });
        }
        return (path, shas);

        string Fixed()
        {
            EngineRepository.Run(path, "rm", "--quiet", "broken");
            return EngineRepository.Commit(path, "Notes 6", ("notes.txt", "6"));
        }
    }

    private static string Engine(double prefillMs) =>
        $$"""{ "model": "sim", "decodeMsPerStep": 5, "prefillOverheadMs": {{prefillMs.ToString(System.Globalization.CultureInfo.InvariantCulture)}} }""";

    private static string Suite() => $$"""
            suites:
              - name: offline
                build: test ! -f broken
                engine:
                  command: {{EngineRepository.SimulateCommand("engine.json")}}
                  ready: http://127.0.0.1:{port}/health
                scenarios:
                  - name: serve
                    workload: { input-tokens: 16, output-tokens: 4 }
                    concurrency: [1, 2]
                    requests: 3
                    warmup: 1
                    trials: 3
            """;

    [Fact]
    public async Task Bisect_NamesTheCommitThatMadeTheEngineSlower_AndWritesEveryStep()
    {
        using var workdir = new TempDirectory();
        var (repository, shas) = History(Path.Combine(workdir.Path, "engine"));
        var results = Path.Combine(workdir.Path, "bisect.json");
        using var output = new StringWriter();

        var exit = await RunnerCommandLine.Build().Parse(["bisect", "--repo", repository, "--good", shas[0], "--bad", shas[^1],
                "--scenario", "serve@c1", "--metric", "ttft_p50", "--max-trials", "20", "--out", results])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);

        var text = output.ToString();
        log.WriteLine(text);
        Assert.True(exit == 0, text);
        Assert.Contains($"culprit {shas[7]} Prefill: a slower attention kernel", text, StringComparison.Ordinal);
        Assert.Contains("same as bad", text, StringComparison.Ordinal);
        Assert.Contains("same as good", text, StringComparison.Ordinal);
        Assert.Contains($"{shas[5][..12]} skipped: the build failed with exit code 1", text, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(results, Ct));
        var outcome = report.RootElement.GetProperty("outcome");
        Assert.Equal("culprit", outcome.GetProperty("kind").GetString());
        Assert.Equal(shas[7], outcome.GetProperty("culprit").GetString());
        Assert.Equal(shas[6], outcome.GetProperty("last_good").GetString());
        Assert.InRange(outcome.GetProperty("relative_change").GetDouble(), 0.10, 0.20);
        var steps = report.RootElement.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(outcome.GetProperty("measured_commits").GetInt32(), steps.Count);
        Assert.InRange(steps.Count, 5, 9);
        var culprit = steps.Single(s => s.GetProperty("sha").GetString() == shas[7]);
        Assert.Equal("same_as_bad", culprit.GetProperty("decision").GetString());
        Assert.Equal("Prefill: a slower attention kernel", culprit.GetProperty("subject").GetString());
        Assert.True(culprit.GetProperty("samples").GetArrayLength() >= 5);
        Assert.Equal("same_as_good", steps.Single(s => s.GetProperty("sha").GetString() == shas[6]).GetProperty("decision").GetString());
        var skipped = steps.Single(s => s.GetProperty("sha").GetString() == shas[5]);
        Assert.Equal(("skipped", "the build failed with exit code 1"), (skipped.GetProperty("decision").GetString(), skipped.GetProperty("reason").GetString()));
        Assert.Equal(("serve@c1", "ttft_p50"), (report.RootElement.GetProperty("scenario").GetString(), report.RootElement.GetProperty("metric").GetString()));
    }

    [Fact]
    public async Task BisectFullDag_NamesTheCommitOnAMergedBranch_WhereFirstParentCanOnlyNameTheMerge()
    {
        using var workdir = new TempDirectory();
        var path = Path.Combine(workdir.Path, "engine");
        var good = EngineRepository.Create(path, ("perfci.yml", Suite()), ("engine.json", Engine(200)), ("notes.txt", "0"));
        EngineRepository.Commit(path, "Notes 1", ("notes.txt", "1"));
        EngineRepository.Run(path, "checkout", "--quiet", "-b", "feature");
        EngineRepository.Commit(path, "Feature 1", ("feature.txt", "1"));
        var culprit = EngineRepository.Commit(path, "Prefill: a slower attention kernel", ("engine.json", Engine(230)));
        EngineRepository.Commit(path, "Feature 3", ("feature.txt", "3"));
        EngineRepository.Run(path, "checkout", "--quiet", "main");
        EngineRepository.Commit(path, "Notes 2", ("notes.txt", "2"));
        EngineRepository.Run(path, "merge", "--quiet", "--no-ff", "-m", "Merge feature", "feature");
        var bad = EngineRepository.Commit(path, "Notes 3", ("notes.txt", "3"));
        var results = Path.Combine(workdir.Path, "bisect.json");
        using var output = new StringWriter();

        var exit = await RunnerCommandLine.Build().Parse(["bisect", "--repo", path, "--good", good, "--bad", bad, "--full-dag",
                "--scenario", "serve@c1", "--metric", "ttft_p50", "--max-trials", "20", "--out", results])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);

        var text = output.ToString();
        log.WriteLine(text);
        Assert.True(exit == 0, text);
        Assert.Contains("6 commits between good", text, StringComparison.Ordinal);
        Assert.Contains("(full DAG)", text, StringComparison.Ordinal);
        Assert.Contains($"culprit {culprit} Prefill: a slower attention kernel", text, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(results, Ct));
        Assert.Equal("full_dag", report.RootElement.GetProperty("mode").GetString());
    }

    [Theory]
    [InlineData("--metric", "tpot_p42", "--metric tpot_p42 is not a metric PerfCI knows")]
    [InlineData("--scenario", "prefill", "--scenario prefill: suite offline at")]
    [InlineData("--scenario", "serve", "--scenario serve has several load points; choose one: serve@c1, serve@c2")]
    [InlineData("--scenario", "serve@c4", "--scenario serve@c4 is not a load point of serve")]
    [InlineData("--good", "0123456789abcdef", "--good 0123456789abcdef is not a commit of")]
    [InlineData("--suite", "online", "--suite online is not a suite of perfci.yml")]
    public async Task Bisect_NamesWhatIsWrong_WithBadInput(string option, string value, string message)
    {
        using var workdir = new TempDirectory();
        var (repository, shas) = History(Path.Combine(workdir.Path, "engine"));
        var arguments = new Dictionary<string, string>
        {
            ["--repo"] = repository, ["--good"] = shas[0], ["--bad"] = shas[^1], ["--scenario"] = "serve@c1", ["--metric"] = "ttft_p50",
        };
        arguments[option] = value;
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await RunnerCommandLine.Build().Parse(["bisect", .. arguments.SelectMany(a => new[] { a.Key, a.Value })])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, Ct);

        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("measuring", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bisect_RefusesAGoodCommitThatIsNotAnAncestorOfBad()
    {
        using var workdir = new TempDirectory();
        var (repository, shas) = History(Path.Combine(workdir.Path, "engine"));
        using var output = new StringWriter();

        var exit = await RunnerCommandLine.Build().Parse(["bisect", "--repo", repository, "--good", shas[5], "--bad", shas[2],
                "--scenario", "serve@c1", "--metric", "ttft_p50"])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);

        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains($"--good {shas[5][..12]} is not an ancestor of --bad {shas[2][..12]}", output.ToString(), StringComparison.Ordinal);
    }
}
