using System.Text;
using NukeContainers.Engine;

namespace NukeContainers.Tests;

/// The one reader of the engine's JSON-lines answers (build, push, pull, load) and of a refused request's body.
public sealed class EngineMessagesSpecs
{
    private static async Task<List<int>> LinesAsync(string text, Func<string, Exception>? error = null)
    {
        var lines = new List<int>();
        await foreach (var message in EngineMessages.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), error ?? (t => new InvalidOperationException(t)), CancellationToken.None))
            lines.Add(message.Line);
        return lines;
    }

    [Fact]
    public async Task Messages_come_with_their_line_numbers_blank_lines_skipped_and_an_error_message_ends_the_stream_as_the_caller_says()
    {
        const string push = "{\"status\":\"Preparing\",\"id\":\"a1\"}\n\n{\"status\":\"Pushed\",\"id\":\"a1\"}\n" +
                            "{\"errorDetail\":{\"message\":\"denied: requested access to the resource is denied\"},\"error\":\"denied: requested access to the resource is denied\"}\n" +
                            "{\"status\":\"never read\"}\n";

        Assert.Equal([1, 3], await LinesAsync("{\"status\":\"Preparing\",\"id\":\"a1\"}\n\n{\"status\":\"Pushed\",\"id\":\"a1\"}\n"));
        var error = await Assert.ThrowsAsync<Pushing.PushException>(() => LinesAsync(push, t => new Pushing.PushException(t, transient: false)));
        Assert.Equal("denied: requested access to the resource is denied", error.Message);
    }

    [Fact]
    public async Task A_line_that_is_not_JSON_is_named_with_its_number()
    {
        var error = await Assert.ThrowsAsync<ContainerException>(() => LinesAsync("{\"status\":\"ok\"}\n<html>502 Bad Gateway</html>\n"));

        Assert.StartsWith("The engine answered with a line that is not JSON (line 2: <html>502 Bad Gateway</html>)", error.Message);
    }

    [Theory]
    [InlineData("{\"message\":\"No such image: app:1\"}\n", "No such image: app:1")]
    [InlineData("404 page not found\n", "404 page not found")]
    public void A_refused_requests_reason_is_its_message_or_its_last_lines(string body, string reason)
    {
        Assert.Equal(reason, EngineMessages.Refusal(body).Trim());
    }
}
