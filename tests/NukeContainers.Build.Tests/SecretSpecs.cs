namespace NukeContainers.Build.Tests;

public sealed class SecretSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    private sealed class LoginBuild : BuildHost
    {
        [Parameter("Registry password"), Secret] public readonly string? RegistryPassword;

        public Target Login => _ => _.Executes(() =>
        {
            Log.Info($"logging in with {RegistryPassword}");
            throw new InvalidOperationException($"login refused for password {RegistryPassword}");
        });
    }

    [Fact]
    public async Task A_secret_is_masked_in_console_log_file_and_failure_messages()
    {
        _driver.Environment["REGISTRY_PASSWORD"] = "hunter2-very-secret";
        var run = await _driver.RunAsync(new LoginBuild(), "Login", "--verbosity", "verbose");

        var file = await File.ReadAllTextAsync(run.LogFile);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("logging in with ****", run.Output);
        Assert.Contains("login refused for password ****", run.Output);
        Assert.Contains("logging in with ****", file);
        Assert.DoesNotContain("hunter2", run.Output);
        Assert.DoesNotContain("hunter2", file);
        Assert.DoesNotContain("hunter2", run.NoteOf("Login"));
    }

    [Fact]
    public void The_masker_replaces_longer_secrets_first_and_ignores_empty_ones()
    {
        var masker = new SecretMasker();
        masker.Add("abc");
        masker.Add("abcdef");
        masker.Add("");
        masker.Add(new[] { "tok1", "tok2" });

        Assert.Equal("x **** y **** z **** ****", masker.Apply("x abcdef y abc z tok1 tok2"));
    }

    [Fact]
    public void A_linked_masker_gets_every_secret_given_before_and_after_and_masks_every_line_too()
    {
        var masker = new SecretMasker();
        var other = new List<string>();
        masker.Add("before-link");
        masker.Link(other.Add, line => line.Replace("only-the-other-knows", "####", StringComparison.Ordinal));
        masker.Add("after-link");

        Assert.Equal(["before-link", "after-link"], other);
        Assert.Equal("**** **** ####", masker.Apply("before-link after-link only-the-other-knows"));
    }

    private sealed class PinBuild : BuildHost
    {
        [Parameter("A numeric PIN"), Secret] public readonly int Pin;
        public Target Show => _ => _.Executes(() => { });
    }

    [Fact]
    public async Task A_secret_that_does_not_convert_is_masked_in_the_error()
    {
        var run = await _driver.RunAsync(new PinBuild(), "Show", "--pin", "12x9");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("Parameter --pin (or PIN) got '****'", run.Output);
        Assert.DoesNotContain("12x9", run.Output);
    }

    public void Dispose() => _driver.Dispose();
}
