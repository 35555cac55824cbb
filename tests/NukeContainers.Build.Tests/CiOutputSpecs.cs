using NukeContainers.Build.CI;

namespace NukeContainers.Build.Tests;

/// CI-aware output (issue 29.3): the host run with the variables each platform sets, and what it wrote parsed: the
/// platform's group, annotation and mask commands, the outputs and summary files. Exit codes do not change.
public sealed class CiOutputSpecs : IDisposable
{
    private readonly BuildDriver _driver = new();

    private sealed class CiBuild : BuildHost
    {
        [Parameter("Registry password"), Secret] public readonly string? RegistryPassword;

        public Target Describe => _ => _.Executes(() =>
        {
            Log.Info($"logging in with {RegistryPassword}");
            Log.Ci.SetOutput("app-digest", "sha256:" + new string('a', 64));
            Log.Ci.SetOutput("notes", "two\nlines");
            Log.Ci.Annotate(error: false, "DL4000: MAINTAINER is deprecated", "src/api/Dockerfile", 3);
            Log.Ci.Summary("| image | digest |\n| --- | --- |\n| app | sha256:aaa |");
        });

        public Target Fail => _ => _.DependsOn(Describe).Executes(() => throw new InvalidOperationException($"the registry refused {RegistryPassword}"));
    }

    private string Run(params (string Name, string Value)[] variables)
    {
        foreach (var (name, value) in variables) _driver.Environment[name] = value;
        _driver.Environment["REGISTRY_PASSWORD"] = "pw-0f3a9c2e";
        var run = _driver.RunAsync(new CiBuild(), "Fail").GetAwaiter().GetResult();
        Assert.Equal(1, run.ExitCode);   // a failed target is 1, in CI as anywhere
        return run.Output;
    }

    [Fact]
    public void On_GitHub_Actions_each_target_is_a_group_failures_and_findings_are_annotations_secrets_are_masked_and_outputs_written()
    {
        var outputs = Path.Combine(_driver.Root, "github-output");
        var summary = Path.Combine(_driver.Root, "github-summary");

        var output = Run(("GITHUB_ACTIONS", "true"), ("GITHUB_OUTPUT", outputs), ("GITHUB_STEP_SUMMARY", summary));
        var lines = output.Split('\n').Select(l => l.TrimEnd('\r')).ToList();

        Assert.Equal(["::group::Describe", "::group::Fail"], lines.Where(l => l.StartsWith("::group::", StringComparison.Ordinal)));
        Assert.Equal(2, lines.Count(l => l == "::endgroup::"));
        Assert.True(lines.IndexOf("::add-mask::pw-0f3a9c2e") < lines.IndexOf("::group::Describe"), "the secret is masked before any target prints");
        Assert.Contains("logging in with ****", lines);
        Assert.Contains("::warning file=src/api/Dockerfile,line=3::DL4000: MAINTAINER is deprecated", lines);
        Assert.Contains("::error::Fail failed: the registry refused ****", lines);
        Assert.Equal($"app-digest=sha256:{new string('a', 64)}\nnotes<<NUKECONTAINERS_EOF\ntwo\nlines\nNUKECONTAINERS_EOF\n", File.ReadAllText(outputs));
        Assert.Equal("| image | digest |\n| --- | --- |\n| app | sha256:aaa |\n", File.ReadAllText(summary));
    }

    [Fact]
    public void On_GitLab_each_target_is_a_collapsible_section_and_outputs_go_to_a_dotenv_file()
    {
        var output = Run(("GITLAB_CI", "true"), ("CI_PROJECT_DIR", _driver.Root));

        Assert.Matches("\u001b\\[0Ksection_start:\\d+:target_describe\\[collapsed=false\\]\r\u001b\\[0KDescribe", output);
        Assert.Matches("\u001b\\[0Ksection_end:\\d+:target_fail\r\u001b\\[0K", output);
        Assert.DoesNotContain("::", output.Replace("::group", ""));   // no GitHub commands
        Assert.DoesNotContain("pw-0f3a9c2e", output);                 // GitLab masks its own variables; nothing prints it
        Assert.Equal($"APP_DIGEST=sha256:{new string('a', 64)}\nNOTES=two lines\n", File.ReadAllText(Path.Combine(_driver.Root, "artifacts", "ci.env")));
    }

    [Fact]
    public void On_Azure_Pipelines_groups_issues_secrets_and_output_variables_use_its_logging_commands()
    {
        var output = Run(("TF_BUILD", "True"));

        Assert.Contains("##[group]Describe", output);
        Assert.Contains("##vso[task.setsecret]pw-0f3a9c2e", output);
        Assert.Contains("##vso[task.logissue type=warning;sourcepath=src/api/Dockerfile;linenumber=3]DL4000: MAINTAINER is deprecated", output);
        Assert.Contains("##vso[task.logissue type=error]Fail failed: the registry refused ****", output);
        Assert.Contains("##vso[task.setvariable variable=app-digest;isoutput=true]sha256:", output);
    }

    [Fact]
    public void Outside_CI_nothing_of_a_platform_is_written()
    {
        var output = Run();

        Assert.DoesNotContain("::", output);
        Assert.DoesNotContain("##", output);
        Assert.DoesNotContain("section_start", output);
        Assert.DoesNotContain("pw-0f3a9c2e", output);
        Assert.Equal(CiPlatform.None, CiOutput.None.Platform);
    }

    public void Dispose() => _driver.Dispose();
}
