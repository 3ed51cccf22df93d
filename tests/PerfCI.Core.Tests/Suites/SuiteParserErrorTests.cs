using PerfCI.Core.Suites;

namespace PerfCI.Core.Tests.Suites;

public sealed class SuiteParserErrorTests
{
    private static SuiteDefinitionException Fails(string yaml, string fileName = "perfci.yml") =>
        Assert.Throws<SuiteDefinitionException>(() => SuiteParser.Parse(yaml, fileName));

    private static SuiteDefinitionError FailsOnce(string yaml) => Assert.Single(Fails(yaml).Errors);

    private static void AssertError(SuiteDefinitionError error, int line, int column, string path, string message) =>
        Assert.Equal(new SuiteDefinitionError("perfci.yml", line, column, path, message), error);

    [Fact]
    public void Parse_ReportsLineAndField_WhenConcurrencyIsNotAList()
    {
        const string yaml = """
            suites:
              - name: s
                engine:
                  command: serve --port {port}
                  ready: http://127.0.0.1:{port}/health
                scenarios:
                  - name: c
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: 1, 4, 16
            """;

        var error = Fails(yaml);

        AssertError(Assert.Single(error.Errors), 9, 22, "suites[0].scenarios[0].concurrency", "expected a list of positive integers, got '1, 4, 16'");
        Assert.Equal("perfci.yml:9:22: suites[0].scenarios[0].concurrency: expected a list of positive integers, got '1, 4, 16'", error.Message);
    }

    [Fact]
    public void Parse_ReportsEachBadItem_WhenConcurrenciesAreNotPositiveOrRepeat()
    {
        const string yaml = """
            suites:
              - name: s
                engine:
                  command: serve --port {port}
                  ready: http://127.0.0.1:{port}/health
                scenarios:
                  - name: c
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [1, -4, 0, 2.5, 1]
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(4, errors.Count);
        AssertError(errors[0], 9, 26, "suites[0].scenarios[0].concurrency[1]", "expected a list of positive integers, got '-4'");
        AssertError(errors[1], 9, 30, "suites[0].scenarios[0].concurrency[2]", "expected a list of positive integers, got '0'");
        AssertError(errors[2], 9, 33, "suites[0].scenarios[0].concurrency[3]", "expected a list of positive integers, got '2.5'");
        AssertError(errors[3], 9, 38, "suites[0].scenarios[0].concurrency[4]", "'1' is listed twice");
    }

    [Fact]
    public void Parse_ReportsRequiredFields_AtTheMappingThatLacksThem()
    {
        const string yaml = """
            suites:
              - runs-on: [gpu]
                engine:
                  timeout: 5m
                scenarios:
                  - workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [1]
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(4, errors.Count);
        AssertError(errors[0], 2, 5, "suites[0].name", "required: the suite's name");
        AssertError(errors[1], 4, 7, "suites[0].engine.command", "required: the shell command that starts the engine");
        AssertError(errors[2], 4, 7, "suites[0].engine.ready", "required: a URL polled until the engine answers, e.g. http://127.0.0.1:{port}/health");
        AssertError(errors[3], 6, 9, "suites[0].scenarios[0].name", "required: the scenario's name");
    }

    [Fact]
    public void Parse_ReportsMissingEngineAndScenarios()
    {
        const string yaml = """
            suites:
              - name: a
              - name: b
                engine:
                  command: serve --port {port}
                  ready: http://127.0.0.1:{port}/health
                scenarios: []
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(3, errors.Count);
        AssertError(errors[0], 2, 5, "suites[0].engine", "required: how to start the engine (command and ready)");
        AssertError(errors[1], 2, 5, "suites[0].scenarios", "required: a list of scenarios, each with a name, a workload and concurrency or rate");
        AssertError(errors[2], 7, 16, "suites[1].scenarios", "expected a list of scenarios, each with a name, a workload and concurrency or rate, got an empty list");
        Assert.Contains("perfci.yml:2:5: suites[0].engine: required", Fails(yaml).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ReportsDuplicateSuiteAndScenarioNames_AtTheSecondOne()
    {
        const string yaml = """
            suites:
              - name: same
                engine: { command: "serve --port {port}", ready: "http://127.0.0.1:{port}/health" }
                scenarios:
                  - name: c
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [1]
                  - name: c
                    workload: { input-tokens: 256, output-tokens: 16 }
                    concurrency: [1]
              - name: same
                engine: { command: "serve --port {port}", ready: "http://127.0.0.1:{port}/health" }
                scenarios:
                  - name: c
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [1]
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(2, errors.Count);
        AssertError(errors[0], 8, 15, "suites[0].scenarios[1].name", "another scenario in this suite is already named 'c'");
        AssertError(errors[1], 11, 11, "suites[1].name", "another suite is already named 'same'");
    }

    [Fact]
    public void Parse_ReportsUnknownKeys_WithTheClosestKnownKey()
    {
        const string yaml = """
            suites:
              - name: s
                env: { A: "1" }
                engine:
                  comand: serve --port {port}
                  command: serve --port {port}
                  ready: http://127.0.0.1:{port}/health
                scenarios:
                  - name: c
                    workload: { input_tokens: 128, input-tokens: 128, output-tokens: 16 }
                    concurrency: [1]
                    colour: blue
                thresholds: { tpot_95: 5% }
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(5, errors.Count);
        AssertError(errors[0], 3, 5, "suites[0].env", "unknown key 'env'; did you mean 'environment'?");
        AssertError(errors[1], 5, 7, "suites[0].engine.comand", "unknown key 'comand'; did you mean 'command'?");
        AssertError(errors[2], 10, 21, "suites[0].scenarios[0].workload.input_tokens", "unknown key 'input_tokens'; did you mean 'input-tokens'?");
        AssertError(errors[3], 12, 9, "suites[0].scenarios[0].colour",
            "unknown key 'colour'; expected one of name, endpoint, workload, concurrency, rate, burstiness, max-concurrency, requests, warmup, trials, slo, request-timeout, exact-output-length");
        AssertError(errors[4], 13, 19, "suites[0].thresholds.tpot_95", "unknown key 'tpot_95'; did you mean 'tpot_p95'?");
    }

    [Fact]
    public void Parse_ReportsZeroTrials_AndNegativeCounts()
    {
        const string yaml = """
            suites:
              - name: s
                engine:
                  command: serve --port {port}
                  ready: http://127.0.0.1:{port}/health
                  port: 70000
                scenarios:
                  - name: c
                    workload: { input-tokens: -128, output-tokens: 16 }
                    concurrency: [1]
                    requests: -5
                    warmup: -1
                    trials: 0
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(5, errors.Count);
        AssertError(errors[0], 6, 13, "suites[0].engine.port", "expected a port from 1 to 65535, got '70000'");
        AssertError(errors[1], 9, 35, "suites[0].scenarios[0].workload.input-tokens", "expected a positive integer, got '-128'");
        AssertError(errors[2], 11, 19, "suites[0].scenarios[0].requests", "expected a positive integer, got '-5'");
        AssertError(errors[3], 12, 17, "suites[0].scenarios[0].warmup", "expected a non-negative integer, got '-1'");
        AssertError(errors[4], 13, 17, "suites[0].scenarios[0].trials", "expected a positive integer, got '0'");
    }

    [Fact]
    public void Parse_ReportsAQuotedNumber_AsAString()
    {
        const string yaml = """
            suites:
              - name: s
                engine: { command: "serve --port {port}", ready: "http://127.0.0.1:{port}/health" }
                scenarios:
                  - name: c
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [1]
                    requests: "200"
            """;

        AssertError(FailsOnce(yaml), 8, 19, "suites[0].scenarios[0].requests", "expected a positive integer, got the string '200'");
    }

    [Fact]
    public void Parse_ReportsConcurrencyAndRate_WhenBothOrNeitherAreGiven()
    {
        const string yaml = """
            suites:
              - name: s
                engine: { command: "serve --port {port}", ready: "http://127.0.0.1:{port}/health" }
                scenarios:
                  - name: both
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [1]
                    rate: [2]
                  - name: neither
                    workload: { input-tokens: 128, output-tokens: 16 }
                  - name: closed-but-bursty
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [4]
                    burstiness: 0.5
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(3, errors.Count);
        AssertError(errors[0], 8, 9, "suites[0].scenarios[0].rate", "give either concurrency (closed loop) or rate (open loop), not both");
        AssertError(errors[1], 9, 9, "suites[0].scenarios[1]", "needs concurrency (requests in flight) or rate (requests per second)");
        AssertError(errors[2], 14, 9, "suites[0].scenarios[2].burstiness", "burstiness applies only to an open loop (rate), not to concurrency");
    }

    [Fact]
    public void Parse_ReportsBadDurationsAndPercentages()
    {
        const string yaml = """
            suites:
              - name: s
                timeout: 2 hours
                engine:
                  command: serve --port {port}
                  ready: http://127.0.0.1:{port}/health
                  timeout: 0s
                  stop-grace: [5s]
                scenarios:
                  - name: c
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [1]
                    request-timeout: 10x
                thresholds:
                  default: 3
                  ttft_p99: -10%
                  tpot_p99: fast
            """;

        var errors = Fails(yaml).Errors;

        const string duration = "expected a duration such as 90s, 10m, 1h30m or plain seconds";
        const string percentage = "expected a percentage such as 3% or a fraction such as 0.03";
        Assert.Equal(7, errors.Count);
        AssertError(errors[0], 3, 14, "suites[0].timeout", $"{duration}, got '2 hours'");
        AssertError(errors[1], 7, 16, "suites[0].engine.timeout", $"{duration}, got '0s'");
        AssertError(errors[2], 8, 19, "suites[0].engine.stop-grace", $"{duration}, got a list");
        AssertError(errors[3], 13, 26, "suites[0].scenarios[0].request-timeout", $"{duration}, got '10x'");
        AssertError(errors[4], 15, 16, "suites[0].thresholds.default", $"{percentage}, got '3' (3 would be 300%; write 3% if that is meant)");
        AssertError(errors[5], 16, 17, "suites[0].thresholds.ttft_p99", $"{percentage}, got '-10%'");
        AssertError(errors[6], 17, 17, "suites[0].thresholds.tpot_p99", $"{percentage}, got 'fast'");
    }

    [Fact]
    public void Parse_ReportsAReadyUrl_ThatIsNotHttp()
    {
        const string yaml = """
            suites:
              - name: s
                engine:
                  command: serve --port {port}
                  ready: localhost:{port}/health
                  url: grpc://127.0.0.1:{port}
                scenarios:
                  - name: c
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [1]
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(2, errors.Count);
        AssertError(errors[0], 5, 14, "suites[0].engine.ready", "expected an http(s) URL, got 'localhost:{port}/health'");
        AssertError(errors[1], 6, 12, "suites[0].engine.url", "expected an http(s) URL, got 'grpc://127.0.0.1:{port}'");
    }

    [Fact]
    public void Parse_ReportsPlaceholders_ThatCannotBeFilled()
    {
        const string yaml = """
            suites:
              - name: s
                environment:
                  MODEL_PATH: "{model}"
                engine:
                  command: serve --model {model}
                  ready: http://127.0.0.1:{port}/health
                scenarios:
                  - name: c
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [1]
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(3, errors.Count);
        AssertError(errors[0], 4, 19, "suites[0].environment.MODEL_PATH", "uses {model} but the suite has no model");
        AssertError(errors[1], 6, 16, "suites[0].engine.command", "uses {model} but the suite has no model");
        AssertError(errors[2], 6, 16, "suites[0].engine.command",
            "the runner picks a free port for the engine: put {port} in the command (or in an environment variable), or set engine.port");
    }

    [Fact]
    public void Parse_ReportsWorkloadProblems()
    {
        const string yaml = """
            suites:
              - name: s
                engine: { command: "serve --port {port}", ready: "http://127.0.0.1:{port}/health" }
                scenarios:
                  - name: chat 1k
                    endpoint: chat-completions
                    workload:
                      input-tokens: 512
                      output-tokens: 16
                      range-ratio: 1.5
                      shared-prefix-tokens: 512
                    concurrency: [1]
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(4, errors.Count);
        AssertError(errors[0], 5, 15, "suites[0].scenarios[0].name",
            "expected a name of letters, digits, '.', '_' and '-' (at most 100, it names series), got 'chat 1k'");
        AssertError(errors[1], 6, 19, "suites[0].scenarios[0].endpoint", "expected completions or chat, got 'chat-completions'");
        AssertError(errors[2], 10, 24, "suites[0].scenarios[0].workload.range-ratio",
            "expected a fraction from 0 up to 1 (lengths vary by up to this much either way), got '1.5'");
        AssertError(errors[3], 11, 33, "suites[0].scenarios[0].workload.shared-prefix-tokens", "expected fewer than input-tokens (512), got '512'");
    }

    [Fact]
    public void Parse_ReportsMalformedYaml_WithItsLine()
    {
        const string yaml = """
            suites:
              - name: s
                runs-on: [gpu, h100
                engine:
                  command: serve
            """;

        var error = FailsOnce(yaml);

        Assert.Equal("perfci.yml", error.File);
        Assert.Equal("", error.Path);
        Assert.StartsWith("invalid YAML: ", error.Message, StringComparison.Ordinal);
        Assert.Equal((4, 5), (error.Line, error.Column));
    }

    [Fact]
    public void Parse_ReportsADuplicateKey_AsInvalidYaml()
    {
        const string yaml = """
            suites:
              - name: s
                name: t
            """;

        var error = FailsOnce(yaml);

        Assert.Equal((3, 5), (error.Line, error.Column));
        Assert.Equal("invalid YAML: Duplicate key name", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\n")]
    [InlineData("# nothing here yet\n")]
    [InlineData("~\n")]
    public void Parse_ReportsAnEmptyFile(string yaml)
    {
        var error = FailsOnce(yaml);

        Assert.Equal("perfci.yml:1:1: the file is empty; expected a 'suites:' list", error.ToString());
    }

    [Fact]
    public void Parse_ReportsAFileWithoutSuites()
    {
        const string yaml = """
            suite:
              - name: s
            """;

        var errors = Fails(yaml).Errors;

        Assert.Equal(2, errors.Count);
        AssertError(errors[0], 1, 1, "suite", "unknown key 'suite'; did you mean 'suites'?");
        AssertError(errors[1], 1, 1, "suites", "required: a list of suites, each with a name, an engine and scenarios");
    }

    [Theory]
    [InlineData("suites: serving\n", "expected a list of suites, got 'serving'")]
    [InlineData("suites: []\n", "expected a list of suites, got an empty list")]
    [InlineData("suites: { name: s }\n", "expected a list of suites, got a mapping")]
    public void Parse_ReportsSuites_ThatAreNotAList(string yaml, string message)
    {
        AssertError(FailsOnce(yaml), 1, 9, "suites", message);
    }

    [Fact]
    public void Parse_ReportsARootThatIsNotAMapping()
    {
        AssertError(FailsOnce("- name: s\n"), 1, 1, "", "expected a mapping with a 'suites:' list, got a list");
    }

    [Fact]
    public void Parse_ReportsEveryProblem_InFileOrder_WithTheGivenFileName()
    {
        const string yaml = """
            suites:
              - name: serving
                runs-on: gpu
                engine:
                  command: vllm serve {model} --port {port}
                  ready: http://127.0.0.1:{port}/health
                  timeout: soon
                model: /models/llama
                scenarios:
                  - name: a
                    workload: { input-tokens: 1024, output-tokens: 128 }
                    concurrency: four
                    trials: 0
                  - name: b
                    workload: { output-tokens: 128 }
                    rate: [1, 2]
                    burstiness: 0
              - name: serving
                engine: { command: "x --port {port}", ready: "http://h:{port}/" }
                scenarios:
                  - name: a
                    workload: { input-tokens: 1, output-tokens: 1 }
                    concurrency: [1]
            """;

        var exception = Fails(yaml, "repo/perfci.yml");

        Assert.Equal(
        [
            "repo/perfci.yml:7:16: suites[0].engine.timeout: expected a duration such as 90s, 10m, 1h30m or plain seconds, got 'soon'",
            "repo/perfci.yml:12:22: suites[0].scenarios[0].concurrency: expected a list of positive integers, got 'four'",
            "repo/perfci.yml:13:17: suites[0].scenarios[0].trials: expected a positive integer, got '0'",
            "repo/perfci.yml:15:19: suites[0].scenarios[1].workload.input-tokens: required: a positive number of tokens (or give a dataset)",
            "repo/perfci.yml:17:21: suites[0].scenarios[1].burstiness: expected a positive number (1 = Poisson arrivals), got '0'",
            "repo/perfci.yml:18:11: suites[1].name: another suite is already named 'serving'",
        ], exception.Errors.Select(e => e.ToString()));
        Assert.Equal(string.Join('\n', exception.Errors), exception.Message);
    }
}
