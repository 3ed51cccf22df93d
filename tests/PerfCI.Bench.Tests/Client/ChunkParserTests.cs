using System.Text;
using System.Text.Json;
using PerfCI.Bench.Client;

namespace PerfCI.Bench.Tests.Client;

public sealed class ChunkParserTests
{
    private static Chunk Parse(string json) => ChunkParser.Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void RoleOnlyChatChunk_CarriesNoText()
    {
        var chunk = Parse("""{"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""");

        Assert.True(chunk.HasChoice);
        Assert.Equal(0, chunk.TextLength);
    }

    [Fact]
    public void ChatDelta_AndReasoningContent_CountAsText()
    {
        Assert.Equal(5, Parse("""{"choices":[{"delta":{"content":"hello"}}]}""").TextLength);
        Assert.Equal(4, Parse("""{"choices":[{"delta":{"reasoning_content":"hmmm","content":null}}]}""").TextLength);
    }

    [Fact]
    public void UsageOnlyLastChunk_HasNoChoice_AndTheTotals()
    {
        var chunk = Parse("""{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}}""");

        Assert.False(chunk.HasChoice);
        Assert.Equal((12, 34), (chunk.PromptTokens, chunk.CompletionTokens));
    }

    [Fact]
    public void CompletionChunk_GivesTextAndFinishReason()
    {
        var chunk = Parse("""{"object":"text_completion","choices":[{"index":0,"text":" a b","logprobs":null,"finish_reason":"length","stop_reason":null}]}""");

        Assert.Equal((4, "length"), (chunk.TextLength, chunk.FinishReason));
    }

    [Fact]
    public void ErrorEvent_GivesItsMessage()
    {
        Assert.Equal("out of memory", Parse("""{"error":{"message":"out of memory","type":"server_error","code":500}}""").Error);
        Assert.Equal("boom", Parse("""{"error":"boom"}""").Error);
    }

    [Fact]
    public void NotAnObject_IsRejected()
    {
        Assert.ThrowsAny<JsonException>(() => Parse("[1,2]"));
        Assert.ThrowsAny<JsonException>(() => Parse("{\"choices\":[{\"text\":"));
    }
}
