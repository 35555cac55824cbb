using System.Runtime.CompilerServices;
using System.Text.Json;

namespace NukeContainers.Engine;

/// <summary>One message of the engine's JSON-lines answers: its line number and the JSON object.</summary>
internal readonly record struct EngineMessage(int Line, JsonElement Json)
{
    /// <summary>A string property, or null.</summary>
    public string? Text(string name) => Json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

/// <summary>
/// The one reader of what the engine answers: the JSON-lines streams of build, push, pull and load (one JSON object a
/// line; a message with <c>error</c> ends the operation), and the error body of a refused request (<c>{"message":...}</c>).
/// </summary>
internal static class EngineMessages
{
    /// <summary>
    /// The messages of a stream as they come (blank lines skipped). A message with <c>error</c> is thrown as
    /// <paramref name="error"/> makes it; a line that is not JSON as <paramref name="malformed"/> makes it (by default a
    /// <see cref="ContainerException"/> naming the line); the connection cut while reading as <paramref name="cut"/>
    /// makes it (by default the I/O error as it is).
    /// </summary>
    public static async IAsyncEnumerable<EngineMessage> ReadAsync(Stream stream, Func<string, Exception> error,
        [EnumeratorCancellation] CancellationToken cancellationToken, Func<Exception, Exception>? cut = null, Func<int, string, Exception, Exception>? malformed = null)
    {
        using var reader = new StreamReader(stream);
        for (var number = 1; ; number++)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (Exception e) when (cut is not null && e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                throw cut(e);
            }
            if (line is null) yield break;
            if (line.Length == 0) continue;
            JsonElement json;
            try
            {
                using var document = JsonDocument.Parse(line);
                json = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw malformed?.Invoke(number, line, e) ?? new ContainerException($"The engine answered with a line that is not JSON (line {number}: {Shorten(line)}): {e.Message}");
            }
            if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("error", out var message))
                throw error(message.ValueKind == JsonValueKind.String ? message.GetString() ?? "unknown error" : message.ToString());
            yield return new EngineMessage(number, json);
        }
    }

    /// <summary>Reads a stream's messages to its end for the error one may carry (a pull's, a load's), as <see cref="ReadAsync"/>.</summary>
    public static async Task ReadToEndAsync(Stream stream, Func<string, Exception> error, CancellationToken cancellationToken)
    {
        await foreach (var _ in ReadAsync(stream, error, cancellationToken)) { }
    }

    /// <summary>The reason in the body of a request the engine refused: its <c>message</c>, else the body's last lines.</summary>
    public static string Refusal(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var message) ? message.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            return Utils.Shell.Tail(body, 5);
        }
    }

    /// <summary>A line cut to 80 characters, for a message.</summary>
    public static string Shorten(string line) => line.Length <= 80 ? line : line[..77] + "...";
}
