using NukeContainers.Dockerfiles;

namespace NukeContainers.Tests;

/// The RUN script reader the lint rules use: commands, arguments and flags as hadolint reads them.
public sealed class ShellScriptSpecs
{
    private static IEnumerable<string> Commands(string script) =>
        ShellScript.Parse(script).Commands.Select(c => string.Join(' ', c.Arguments.Prepend(c.Name)));

    [Theory]
    [InlineData("apt-get update && apt-get install -y curl", new[] { "apt-get update", "apt-get install -y curl" })]
    [InlineData("a; b || c | d & e", new[] { "a", "b", "c", "d", "e" })]
    [InlineData("DEBIAN_FRONTEND=noninteractive apt-get install -y 'a b' \"c\"", new[] { "apt-get install -y a b c" })]
    [InlineData("echo $(wget -q -O- http://x) > /out 2>&1", new[] { "wget -q -O- http://x", "echo ${VAR}" })]
    [InlineData("if [ -f x ]; then cd /tmp; else sudo ls; fi", new[] { "[ -f x ]", "cd /tmp", "sudo ls" })]
    [InlineData("for f in a b; do rm -rf $f; done", new[] { "rm -rf $f" })]
    [InlineData("apt-get install \\\n  curl \\\n  wget # a comment", new[] { "apt-get install curl wget" })]
    [InlineData("(cd /src && make) && { echo ok; }", new[] { "cd /src", "make", "echo ok" })]
    public void A_script_is_read_into_its_commands(string script, string[] expected) => Assert.Equal(expected, Commands(script));

    [Fact]
    public void Flags_are_read_as_hadolint_reads_them_and_value_flags_drop_their_value()
    {
        var command = ShellScript.Parse("apt-get -yqq --no-install-recommends -t bookworm-backports install nodejs=18 --option=x").Commands.Single();

        Assert.Equal(["y", "q", "q", "no-install-recommends", "t", "option"], command.Flags);
        Assert.Equal(["install", "nodejs=18"], command.ArgumentsWithoutFlags("t"));
        Assert.Equal(["bookworm-backports", "install", "nodejs=18"], command.ArgumentsWithoutFlags());
    }

    [Fact]
    public void A_pipe_is_told_from_an_or()
    {
        Assert.True(ShellScript.Parse("curl x | sh").HasPipe);
        Assert.False(ShellScript.Parse("a || b").HasPipe);
        Assert.False(ShellScript.Parse("echo 'a | b'").HasPipe);
    }
}
