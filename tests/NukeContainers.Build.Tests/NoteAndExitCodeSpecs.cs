namespace NukeContainers.Build.Tests;

public sealed class NoteAndExitCodeSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    private sealed class NotingBuild : BuildHost
    {
        [Parameter("A token"), Secret] readonly string? Token;

        public Target Measure => _ => _.Executes(() =>
        {
            Note("go-api 6.1 MB");
            Note($"pushed with {Token}");
        });

        public Target Break => _ => _.Executes(() =>
        {
            Note("half done");
            throw new InvalidOperationException("disk full");
        });
    }

    private sealed class BrokenBuild : BuildHost
    {
        // A build whose own code throws while the host reads its targets: a bug, not a usage error.
        public Target Compile => throw new NullReferenceException("the build's own bug");
    }

    [Fact]
    public async Task A_targets_notes_appear_in_its_summary_row_after_its_outcome_and_masked()
    {
        var run = await _driver.RunAsync(new NotingBuild(), "Measure", "Break", "--token", "s3cret", "--continue");

        Assert.Equal("go-api 6.1 MB; pushed with ****", run.NoteOf("Measure"));
        Assert.Equal("disk full; half done", run.NoteOf("Break"));
        Assert.Contains("go-api 6.1 MB; pushed with ****", run.Output);
        Assert.DoesNotContain("s3cret", run.Output);
    }

    [Fact]
    public void A_note_outside_a_target_says_where_notes_belong()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new NotingBuild().Note("x"));

        Assert.Contains("call Note while a target executes", error.Message);
    }

    [Fact]
    public async Task A_bug_outside_the_users_input_exits_1_with_the_stack_not_2()
    {
        var run = await _driver.RunAsync(new BrokenBuild(), "Compile");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: the build could not run: the build's own bug", run.Output);
        Assert.Contains("at NukeContainers.Build.Tests.NoteAndExitCodeSpecs.BrokenBuild.get_Compile", run.Output);
    }

    public void Dispose() => _driver.Dispose();
}
