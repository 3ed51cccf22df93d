using PerfCI.Core.Suites;

namespace PerfCI.Core.Tests.Suites;

public sealed class PlaceholderTests
{
    [Fact]
    public void Substitute_FillsPortModelAndCheckout_AndLeavesOtherBraces()
    {
        var values = new PlaceholderValues(31337, "/models/llama-3-8b", "/work/checkout");

        var result = Placeholders.Substitute(
            "cd {checkout} && python -m serve --port {port} --model {model} --extra '{\"a\": 1}' --home ${HOME} --port-again {port}", values);

        Assert.Equal(
            "cd /work/checkout && python -m serve --port 31337 --model /models/llama-3-8b --extra '{\"a\": 1}' --home ${HOME} --port-again 31337",
            result);
    }

    [Fact]
    public void Substitute_Throws_WhenTheTemplateUsesModelAndThereIsNone()
    {
        var values = new PlaceholderValues(8000, null, "/c");

        var error = Assert.Throws<ArgumentException>(() => Placeholders.Substitute("serve --model {model}", values));

        Assert.Contains("{model}", error.Message, StringComparison.Ordinal);
        Assert.Equal("serve --port 8000", Placeholders.Substitute("serve --port {port}", values));
    }

    [Fact]
    public void WithPlaceholders_ResolvesTheModelFirst_ThenEveryTemplatedString()
    {
        const string yaml = """
            suites:
              - name: s
                build: make -C {checkout}
                model: "{checkout}/models/tiny"
                environment: { PORT: "{port}", WEIGHTS: "{model}" }
                engine:
                  command: ./serve --model {model}
                  ready: http://127.0.0.1:{port}/health
                  served-model: "{model}"
                scenarios:
                  - name: c
                    workload: { dataset: "{checkout}/data/prompts.jsonl" }
                    concurrency: [1]
            """;
        var suite = SuiteParser.Parse(yaml).Suites[0];

        var resolved = suite.WithPlaceholders(new PlaceholderValues(40123, null, "/runner/repo"));

        Assert.Equal("/runner/repo/models/tiny", resolved.Model);
        Assert.Equal("make -C /runner/repo", resolved.Build);
        Assert.Equal("40123", resolved.Environment["PORT"]);
        Assert.Equal("/runner/repo/models/tiny", resolved.Environment["WEIGHTS"]);
        Assert.Equal("./serve --model /runner/repo/models/tiny", resolved.Engine.Command);
        Assert.Equal("http://127.0.0.1:40123/health", resolved.Engine.Ready);
        Assert.Equal("http://127.0.0.1:40123", resolved.Engine.Url);
        Assert.Equal("/runner/repo/models/tiny", resolved.Engine.ServedModel);
        Assert.Equal("/runner/repo/data/prompts.jsonl", resolved.Scenarios[0].Workload.Dataset);
        Assert.Equal("./serve --model {model}", suite.Engine.Command); // the parsed suite keeps its templates
    }
}
