using PerfCI.Core.Suites;

namespace PerfCI.Core.Tests.Suites;

public sealed class SuiteValuesTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("2m30s", 150)]
    [InlineData("1.5h", 5400)]
    [InlineData("500ms", 0.5)]
    [InlineData("600", 600)]
    [InlineData("2.5", 2.5)]
    public void TryParseDuration_ReadsEachForm(string text, double seconds)
    {
        var ok = SuiteValues.TryParseDuration(text, out var duration);

        Assert.True(ok);
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("0s")]
    [InlineData("-5s")]
    [InlineData("10 minutes")]
    [InlineData("30m1h")]
    [InlineData("2d")]
    [InlineData("h")]
    public void TryParseDuration_Rejects_WhatIsNotAPositiveDuration(string text)
    {
        Assert.False(SuiteValues.TryParseDuration(text, out _));
    }

    [Theory]
    [InlineData("3%", 0.03)]
    [InlineData("0.03", 0.03)]
    [InlineData("10%", 0.10)]
    [InlineData("2.5%", 0.025)]
    [InlineData("150%", 1.5)]
    [InlineData("0", 0)]
    [InlineData("0%", 0)]
    public void TryParsePercentage_ReadsPercentsAndFractions(string text, double fraction)
    {
        var ok = SuiteValues.TryParsePercentage(text, out var value);

        Assert.True(ok);
        Assert.Equal(fraction, value, 12);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("1")]
    [InlineData("-1%")]
    [InlineData("-0.1")]
    [InlineData("%")]
    [InlineData("three percent")]
    public void TryParsePercentage_Rejects_AmbiguousOrNegativeValues(string text)
    {
        Assert.False(SuiteValues.TryParsePercentage(text, out _));
    }

    [Fact]
    public void Parse_ReadsDurationForms_InTheFile()
    {
        const string yaml = """
            suites:
              - name: s
                timeout: 1h30m
                engine:
                  command: serve --port {port}
                  ready: http://127.0.0.1:{port}/health
                  timeout: 900
                  stop-grace: 500ms
                scenarios:
                  - name: c
                    workload: { input-tokens: 8, output-tokens: 8 }
                    concurrency: [1]
                    request-timeout: 2m30s
                thresholds: { default: 0.05, e2e_p50: 1.5% }
            """;

        var suite = SuiteParser.Parse(yaml).Suites[0];

        Assert.Equal(TimeSpan.FromMinutes(90), suite.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(900), suite.Engine.Timeout);
        Assert.Equal(TimeSpan.FromMilliseconds(500), suite.Engine.StopGrace);
        Assert.Equal(TimeSpan.FromSeconds(150), suite.Scenarios[0].RequestTimeout);
        Assert.Equal(0.05, suite.Thresholds.Default, 12);
        Assert.Equal(0.015, suite.Thresholds.For("e2e_p50"), 12);
    }
}
