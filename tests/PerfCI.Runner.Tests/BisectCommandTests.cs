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
    /// Twelve commits; the eighth makes every decode step 15% slower. Steps of 25 ms keep the noise of a
    /// loaded machine (a millisecond or two of scheduling) well under the change.
    /// </summary>
    private static (string Repository, List<string> Shas) History(string path)
    {
        static string Engine(double decodeMs) => $$"""{ "model": "sim", "decodeMsPerStep": {{decodeMs.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "prefillMsPerToken": 0.01 }""";
        var suite = $$"""
            suites:
              - name: offline
                engine:
                  command: {{EngineRepository.SimulateCommand("engine.json")}}
                  ready: http://127.0.0.1:{port}/health
                scenarios:
                  - name: decode
                    workload: { input-tokens: 16, output-tokens: 8 }
                    concurrency: [1, 2]
                    requests: 3
                    warmup: 1
                    trials: 3
            """;
        var shas = new List<string> { EngineRepository.Create(path, ("perfci.yml", suite), ("engine.json", Engine(25)), ("notes.txt", "0")) };
        for (var i = 1; i < 12; i++)
        {
            shas.Add(i == 7
                ? EngineRepository.Commit(path, "Decode: a slower sampler", ("engine.json", Engine(28.75)), ("notes.txt", $"{i}"))
                : EngineRepository.Commit(path, $"Notes {i}", ("notes.txt", $"{i}")));
        }
        return (path, shas);
    }

    [Fact]
    public async Task Bisect_NamesTheCommitThatMadeTheEngineSlower_AndWritesEveryStep()
    {
        using var workdir = new TempDirectory();
        var (repository, shas) = History(Path.Combine(workdir.Path, "engine"));
        var results = Path.Combine(workdir.Path, "bisect.json");
        using var output = new StringWriter();

        var exit = await RunnerCommandLine.Build().Parse(["bisect", "--repo", repository, "--good", shas[0], "--bad", shas[^1],
                "--scenario", "decode@c1", "--metric", "tpot_p50", "--max-trials", "20", "--out", results])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);

        var text = output.ToString();
        log.WriteLine(text);
        Assert.True(exit == 0, text);
        Assert.Contains($"culprit {shas[7]} Decode: a slower sampler", text, StringComparison.Ordinal);
        Assert.Contains("same as bad", text, StringComparison.Ordinal);
        Assert.Contains("same as good", text, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(results, Ct));
        var outcome = report.RootElement.GetProperty("outcome");
        Assert.Equal("culprit", outcome.GetProperty("kind").GetString());
        Assert.Equal(shas[7], outcome.GetProperty("culprit").GetString());
        Assert.Equal(shas[6], outcome.GetProperty("last_good").GetString());
        Assert.InRange(outcome.GetProperty("relative_change").GetDouble(), 0.08, 0.22);
        var steps = report.RootElement.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(outcome.GetProperty("measured_commits").GetInt32(), steps.Count);
        Assert.InRange(steps.Count, 4, 8);
        var culprit = steps.Single(s => s.GetProperty("sha").GetString() == shas[7]);
        Assert.Equal("same_as_bad", culprit.GetProperty("decision").GetString());
        Assert.Equal("Decode: a slower sampler", culprit.GetProperty("subject").GetString());
        Assert.True(culprit.GetProperty("samples").GetArrayLength() >= 5);
        Assert.Equal("same_as_good", steps.Single(s => s.GetProperty("sha").GetString() == shas[6]).GetProperty("decision").GetString());
        Assert.Equal(("decode@c1", "tpot_p50"), (report.RootElement.GetProperty("scenario").GetString(), report.RootElement.GetProperty("metric").GetString()));
    }

    [Theory]
    [InlineData("--metric", "tpot_p42", "--metric tpot_p42 is not a metric PerfCI knows")]
    [InlineData("--scenario", "prefill", "--scenario prefill: suite offline at")]
    [InlineData("--scenario", "decode", "--scenario decode has several load points; choose one: decode@c1, decode@c2")]
    [InlineData("--scenario", "decode@c4", "--scenario decode@c4 is not a load point of decode")]
    [InlineData("--good", "0123456789abcdef", "--good 0123456789abcdef is not a commit of")]
    [InlineData("--suite", "online", "--suite online is not a suite of perfci.yml")]
    public async Task Bisect_NamesWhatIsWrong_WithBadInput(string option, string value, string message)
    {
        using var workdir = new TempDirectory();
        var (repository, shas) = History(Path.Combine(workdir.Path, "engine"));
        var arguments = new Dictionary<string, string>
        {
            ["--repo"] = repository, ["--good"] = shas[0], ["--bad"] = shas[^1], ["--scenario"] = "decode@c1", ["--metric"] = "tpot_p50",
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
                "--scenario", "decode@c1", "--metric", "tpot_p50"])
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = output }, Ct);

        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Contains($"--good {shas[5][..12]} is not an ancestor of --bad {shas[2][..12]}", output.ToString(), StringComparison.Ordinal);
    }
}
