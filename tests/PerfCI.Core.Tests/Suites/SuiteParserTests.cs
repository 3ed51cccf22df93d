using PerfCI.Core.Suites;

namespace PerfCI.Core.Tests.Suites;

public sealed class SuiteParserTests
{
    private const string IssueExample = """
        suites:
          - name: serving-1gpu
            runs-on: [gpu, h100]          # labels a runner must have
            build: pip install -e .        # optional, run in the checkout
            engine:
              command: python -m myengine.serve --port {port} --model {model}
              ready: http://127.0.0.1:{port}/health     # polled; time to ready = cold start
              timeout: 10m
            model: /models/llama-3-8b
            scenarios:
              - name: chat-1k-128
                workload: { input-tokens: 1024, output-tokens: 128 }
                concurrency: [1, 4, 16, 64]
                requests: 200
                warmup: 10
                trials: 5
            thresholds: { default: 3% , ttft_p99: 10% }
        """;

    [Fact]
    public void Parse_ReadsTheIssueExample_IntoExactValues()
    {
        var file = SuiteParser.Parse(IssueExample);

        var suite = Assert.Single(file.Suites);
        Assert.Equal("serving-1gpu", suite.Name);
        Assert.Equal(["gpu", "h100"], suite.RunsOn);
        Assert.Equal("pip install -e .", suite.Build);
        Assert.Equal("python -m myengine.serve --port {port} --model {model}", suite.Engine.Command);
        Assert.Equal("http://127.0.0.1:{port}/health", suite.Engine.Ready);
        Assert.Equal("http://127.0.0.1:{port}", suite.Engine.Url);
        Assert.Equal(TimeSpan.FromMinutes(10), suite.Engine.Timeout);
        Assert.Null(suite.Engine.Port);
        Assert.Null(suite.Engine.StopGrace);
        Assert.Null(suite.Engine.ServedModel);
        Assert.Equal("/models/llama-3-8b", suite.Model);
        Assert.Empty(suite.Environment);
        Assert.Null(suite.Timeout);
        var scenario = Assert.Single(suite.Scenarios);
        Assert.Equal("chat-1k-128", scenario.Name);
        Assert.Equal(ScenarioEndpoint.Completions, scenario.Endpoint);
        Assert.Equal(new WorkloadDefinition { InputTokens = 1024, OutputTokens = 128 }, scenario.Workload);
        Assert.Equal([1, 4, 16, 64], scenario.Concurrency);
        Assert.Empty(scenario.Rate);
        Assert.Equal(LoadKind.ClosedLoop, scenario.LoadKind);
        Assert.Equal(200, scenario.Requests);
        Assert.Equal(10, scenario.Warmup);
        Assert.Equal(5, scenario.Trials);
        Assert.Equal(new SloDefinition(), scenario.Slo);
        Assert.Equal(TimeSpan.FromMinutes(10), scenario.RequestTimeout);
        Assert.True(scenario.ExactOutputLength);
        Assert.Equal(0.03, suite.Thresholds.Default, 10);
        Assert.Equal(0.10, Assert.Single(suite.Thresholds.PerMetric, m => m.Key == "ttft_p99").Value, 10);
        Assert.Equal(0.10, suite.Thresholds.For("ttft_p99"), 10);
        Assert.Equal(0.03, suite.Thresholds.For("tpot_p99"), 10);
    }

    [Fact]
    public void Parse_ReadsSeveralSuites_WithChatAndRateScenarios()
    {
        const string yaml = """
            suites:
              - name: vllm-h100
                runs-on: [gpu, h100]
                build: |
                  pip install -e .
                  pip install flashinfer
                model: meta-llama/Llama-3.1-8B-Instruct
                environment:
                  VLLM_USE_V1: 1
                  HF_HOME: /cache/hf
                  CUDA_VISIBLE_DEVICES: "0"
                engine:
                  command: vllm serve {model} --port {port} --disable-log-requests
                  ready: http://127.0.0.1:{port}/health
                  timeout: 15m
                  stop-grace: 30s
                  served-model: llama
                timeout: 1h30m
                scenarios:
                  - name: chat-sharegpt
                    endpoint: chat
                    workload:
                      dataset: "{checkout}/bench/sharegpt.jsonl"
                      seed: 7
                    rate: [2, 8.5]
                    burstiness: 0.5
                    max-concurrency: 128
                    requests: 500
                    slo: { ttft-ms: 200, tpot-ms: 50, e2e-ms: 20000, itl-ms: 100 }
                  - name: prefix-cache
                    workload:
                      input-tokens: 2048
                      output-tokens: 64
                      range-ratio: 0.25
                      shared-prefix-tokens: 1536
                    concurrency: 32
                    trials: 1
                    warmup: 0
                    request-timeout: 90s
                    exact-output-length: false
                thresholds: 5%
              - name: llamacpp-cpu
                runs-on: cpu
                engine:
                  command: ./build/bin/llama-server -m /models/qwen2.5-0.5b-q4_k_m.gguf --port {port}
                  ready: http://127.0.0.1:{port}/health
                  url: http://127.0.0.1:{port}/
                  port: 8080
                scenarios:
                  - name: short
                    workload: { input-tokens: 128, output-tokens: 32 }
                    rate: 1
                thresholds:
                  default: 0.05
                  output_throughput: 2%
            """;

        var file = SuiteParser.Parse(yaml);

        Assert.Equal(["vllm-h100", "llamacpp-cpu"], file.Suites.Select(s => s.Name));
        var vllm = file.Find("vllm-h100")!;
        Assert.Equal("pip install -e .\npip install flashinfer\n", vllm.Build);
        Assert.Equal("meta-llama/Llama-3.1-8B-Instruct", vllm.Model);
        Assert.Equal(
            [new("VLLM_USE_V1", "1"), new("HF_HOME", "/cache/hf"), new KeyValuePair<string, string>("CUDA_VISIBLE_DEVICES", "0")],
            vllm.Environment);
        Assert.Equal(TimeSpan.FromMinutes(15), vllm.Engine.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(30), vllm.Engine.StopGrace);
        Assert.Equal("llama", vllm.Engine.ServedModel);
        Assert.Equal(TimeSpan.FromMinutes(90), vllm.Timeout);
        Assert.Equal(0.05, vllm.Thresholds.Default, 10);
        Assert.Empty(vllm.Thresholds.PerMetric);

        var chat = vllm.Scenarios[0];
        Assert.Equal(ScenarioEndpoint.Chat, chat.Endpoint);
        Assert.Equal(new WorkloadDefinition { Dataset = "{checkout}/bench/sharegpt.jsonl", Seed = 7 }, chat.Workload);
        Assert.Equal(LoadKind.OpenLoop, chat.LoadKind);
        Assert.Equal([2, 8.5], chat.Rate);
        Assert.Empty(chat.Concurrency);
        Assert.Equal(0.5, chat.Burstiness);
        Assert.Equal(128, chat.MaxConcurrency);
        Assert.Equal(500, chat.Requests);
        Assert.Equal(ScenarioDefinition.DefaultTrials, chat.Trials);
        Assert.Equal(new SloDefinition { TtftMs = 200, TpotMs = 50, E2eMs = 20000, ItlMs = 100 }, chat.Slo);

        var prefix = vllm.Scenarios[1];
        Assert.Equal(ScenarioEndpoint.Completions, prefix.Endpoint);
        Assert.Equal(new WorkloadDefinition { InputTokens = 2048, OutputTokens = 64, RangeRatio = 0.25, SharedPrefixTokens = 1536 }, prefix.Workload);
        Assert.Equal([32], prefix.Concurrency);
        Assert.Equal(1, prefix.Trials);
        Assert.Equal(0, prefix.Warmup);
        Assert.Equal(TimeSpan.FromSeconds(90), prefix.RequestTimeout);
        Assert.False(prefix.ExactOutputLength);

        var llama = file.Find("llamacpp-cpu")!;
        Assert.Equal(["cpu"], llama.RunsOn);
        Assert.Null(llama.Model);
        Assert.Equal(8080, llama.Engine.Port);
        Assert.Equal("http://127.0.0.1:{port}/", llama.Engine.Url);
        Assert.Equal([1.0], llama.Scenarios[0].Rate);
        Assert.Equal(1.0, llama.Scenarios[0].Burstiness);
        Assert.Null(llama.Scenarios[0].MaxConcurrency);
        Assert.Equal(0.05, llama.Thresholds.Default, 10);
        Assert.Equal(0.02, llama.Thresholds.For("output_throughput"), 10);
    }

    [Fact]
    public void Parse_AppliesDefaults_WhenOptionalFieldsAreLeftOut()
    {
        const string yaml = """
            suites:
              - name: minimal
                engine:
                  command: serve --port {port}
                  ready: http://127.0.0.1:{port}/health
                scenarios:
                  - name: c1
                    workload: { input-tokens: 128, output-tokens: 16 }
                    concurrency: [1]
            """;

        var suite = Assert.Single(SuiteParser.Parse(yaml).Suites);

        Assert.Empty(suite.RunsOn);
        Assert.Null(suite.Build);
        Assert.Null(suite.Model);
        Assert.Equal(TimeSpan.FromMinutes(10), suite.Engine.Timeout);
        Assert.Equal(0.03, suite.Thresholds.Default);
        var scenario = Assert.Single(suite.Scenarios);
        Assert.Equal(ScenarioEndpoint.Completions, scenario.Endpoint);
        Assert.Equal(100, scenario.Requests);
        Assert.Equal(5, scenario.Warmup);
        Assert.Equal(3, scenario.Trials);
        Assert.Equal(1.0, scenario.Burstiness);
        Assert.Equal(0, scenario.Workload.Seed);
        Assert.Equal(0, scenario.Workload.RangeRatio);
        Assert.Equal(0, scenario.Workload.SharedPrefixTokens);
    }

    [Fact]
    public void Parse_AcceptsThePortInAnEnvironmentVariable_ForAnInHouseEngine()
    {
        const string yaml = """
            suites:
              - name: inhouse
                model: "{checkout}/weights"
                environment: { ENGINE_PORT: "{port}", ENGINE_MODEL: "{model}" }
                engine:
                  command: ./run_engine.sh
                  ready: http://localhost:{port}/v1/models
                scenarios:
                  - name: c
                    workload: { input-tokens: 64, output-tokens: 8 }
                    concurrency: [1, 2]
            """;

        var suite = Assert.Single(SuiteParser.Parse(yaml).Suites);

        Assert.Equal("{port}", suite.Environment["ENGINE_PORT"]);
        Assert.Equal("./run_engine.sh", suite.Engine.Command);
    }

    [Fact]
    public void LoadPoints_ListsEachConcurrency_OrEachRate()
    {
        var closed = new ScenarioDefinition { Name = "c", Workload = new(), Concurrency = [1, 8] };
        var open = new ScenarioDefinition { Name = "r", Workload = new(), Rate = [0.5, 4] };

        Assert.Equal([new LoadPoint(1, null), new LoadPoint(8, null)], closed.LoadPoints());
        Assert.Equal([new LoadPoint(null, 0.5), new LoadPoint(null, 4)], open.LoadPoints());
    }
}
