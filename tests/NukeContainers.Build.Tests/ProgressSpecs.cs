using Spectre.Console.Testing;

namespace NukeContainers.Build.Tests;

/// The live progress of long work on several images: drawn on an interactive terminal (a recording console here), with
/// the log's lines written through it; nothing drawn where the console is not interactive.
public sealed class ProgressSpecs
{
    [Fact]
    public async Task On_a_terminal_each_image_gets_a_live_line_with_its_state_and_the_log_lines_pass_through_it()
    {
        var terminal = new TestConsole().Interactive().EmitAnsiSequences();
        using var log = new BuildLog(TextWriter.Null, Verbosity.Normal, new SecretMasker(), terminal);

        var result = await log.ShowProgressAsync(["go-api", "node-web"], async update =>
        {
            update("go-api", "build");
            log.Info("[go-api] => [1/3] FROM base");
            await Drawn(terminal, "go-api: build");   // the display refreshes every 100 ms: wait until it has drawn it
            update("node-web", "push");
            await Drawn(terminal, "node-web: push");
            update("go-api", "done");
            return 42;
        });

        Assert.Equal(42, result);
        Assert.Contains("go-api: build", terminal.Output);
        Assert.Contains("node-web: push", terminal.Output);
        Assert.Contains("[go-api] => [1/3] FROM base", terminal.Output);
    }

    /// Waits until the terminal shows the text (the display draws on its own clock), at most 10 s.
    private static async Task Drawn(TestConsole terminal, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Shows() && DateTime.UtcNow < deadline) await Task.Delay(10);

        bool Shows()
        {
            try
            {
                return terminal.Output.Contains(text, StringComparison.Ordinal);
            }
            catch (ArgumentException)
            {
                return false;   // read while the display's thread writes: look again
            }
        }
    }

    [Fact]
    public async Task Where_the_console_is_not_a_terminal_nothing_is_drawn_and_the_lines_go_to_the_console_as_they_are()
    {
        var console = new StringWriter();
        using var log = new BuildLog(console, Verbosity.Normal, new SecretMasker());

        await log.ShowProgressAsync(["go-api"], update =>
        {
            update("go-api", "build");
            log.Info("[go-api] building");
            return Task.FromResult(0);
        });

        Assert.False(log.Interactive);
        Assert.Equal("[go-api] building" + Environment.NewLine, console.ToString());
    }
}
