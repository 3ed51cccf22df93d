using System.CommandLine;
using System.Text.Json;
using PerfCI.Server.Hosting;
using PerfCI.Testing;

namespace PerfCI.Server.Tests;

/// <summary>perfci analyze, in process: a file in, change points out, and no database anywhere.</summary>
public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>40 points of three trials: 41 ms, then 8% slower from the 25th commit on.</summary>
    private string StepSeries(string name = "ttft.csv")
    {
        var random = new Random(3);
        var lines = new List<string> { "commit,t1,t2,t3" };
        for (var i = 0; i < 40; i++)
        {
            var level = i < 24 ? 41.0 : 41.0 * 1.08;
            lines.Add($"sha{i:D2}," + string.Join(',', Enumerable.Range(0, 3).Select(_ => (level * (1 + 0.005 * (random.NextDouble() - 0.5))).ToString("0.000", System.Globalization.CultureInfo.InvariantCulture))));
        }
        return Write(name, string.Join('\n', lines));
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory.Path, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static async Task<(int Exit, string Output, string Error)> InvokeAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var serve = (string[] _, CancellationToken _) => Task.FromResult(-1); // serving must not be reached
        var exit = await ServerCommandLine.Build(serve).Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Analyze_PrintsTheChangePoint_WithCommitMagnitudeIntervalAndSignificance()
    {
        var (exit, output, error) = await InvokeAsync("analyze", StepSeries());

        Assert.True(exit == 0, error);
        Assert.Contains("ttft.csv: 40 points, lower is better: 1 change point", output, StringComparison.Ordinal);
        var row = output.Split('\n').Single(l => l.TrimStart().StartsWith("24 ", StringComparison.Ordinal));
        Assert.Contains("sha24", row, StringComparison.Ordinal);
        Assert.Contains("+8.", row, StringComparison.Ordinal);
        Assert.Contains("regression", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Analyze_WithJson_PrintsChangePointsWithIndexMagnitudeIntervalAndP()
    {
        var (exit, output, _) = await InvokeAsync("analyze", StepSeries(), "--json", "--direction", "higher");

        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        var change = Assert.Single(json.RootElement.GetProperty("change_points").EnumerateArray());
        Assert.Equal(24, change.GetProperty("index").GetInt32());
        Assert.Equal("sha24", change.GetProperty("commit").GetString());
        var magnitude = change.GetProperty("magnitude").GetDouble();
        Assert.InRange(magnitude, 0.075, 0.085);
        var ci = change.GetProperty("ci").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.InRange(magnitude, ci[0], ci[1]);
        Assert.InRange(change.GetProperty("p").GetDouble(), 0, 0.001);
        Assert.Equal("improvement", change.GetProperty("kind").GetString()); // higher is better: up is good
    }

    [Fact]
    public async Task Analyze_ReadsJsonSeries_AndSaysWhenThereIsNoChange()
    {
        var path = Write("flat.json", "[" + string.Join(", ", Enumerable.Range(0, 30).Select(i => $"[{100 + i % 3}, {101 - i % 2}]")) + "]");

        var (exit, output, _) = await InvokeAsync("analyze", path);

        Assert.Equal(0, exit);
        Assert.Contains("flat.json: 30 points, lower is better: no change points", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bad.csv", "commit,value\na,1\nb,slow\n", new string[0], "perfci analyze: bad.csv:3: value: expected a finite number, was \"slow\"")]
    [InlineData("bad.json", "[{\"commit\": \"a\", \"samples\": [1, null]}]", new string[0], "perfci analyze: bad.json: [0].samples[1]: expected a number, was null")]
    [InlineData("ok.csv", "1\n2\n", new[] { "--direction", "sideways" }, "perfci analyze: --direction: expected lower or higher, was 'sideways'")]
    [InlineData("ok.csv", "1\n2\n", new[] { "--threshold", "lots" }, "perfci analyze: --threshold: expected a number such as 0.03 or 3%, was 'lots'")]
    [InlineData("ok.csv", "1\n2\n", new[] { "--window", "6" }, "perfci analyze: --window: Window must be at least twice MinSegment.")]
    public async Task Analyze_RejectsBadInput_NamingFileAndLineOrField_WithExitCode3(string name, string content, string[] options, string message)
    {
        var path = Write(name, content);

        var (exit, output, error) = await InvokeAsync(["analyze", path, .. options]);

        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Equal(message, error.Trim());
        Assert.Empty(output);
    }

    [Fact]
    public async Task Analyze_SaysSo_WhenTheFileDoesNotExist()
    {
        var (exit, _, error) = await InvokeAsync("analyze", Path.Combine(_directory.Path, "missing.csv"));

        Assert.Equal(ExitCodes.BadInput, exit);
        Assert.Equal("perfci analyze: missing.csv: file not found", error.Trim());
    }
}
