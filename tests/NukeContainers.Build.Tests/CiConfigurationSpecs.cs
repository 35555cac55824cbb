using System.Globalization;
using System.Text.Json.Nodes;
using Json.Schema;
using NukeContainers.Build.CI;
using YamlDotNet.RepresentationModel;

namespace NukeContainers.Build.Tests;

/// CI invoking the targets (issue 29): the workflows the build class's attributes describe, generated, held against
/// the platform's schema (SchemaStore's github-workflow.json, with SchemaStore's own accept and refuse tables), kept
/// current, and refused clearly when an attribute's value cannot work.
public sealed class CiConfigurationSpecs : IDisposable
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "testdata", "ci", "github-workflow");
    private static readonly Lazy<JsonSchema> GitHubSchema = new(() => Schema(Path.Combine(Data, "github-workflow.json")));
    /// GitLab's own ci.json (as wrkflw vendors it: testdata/ci/SOURCES.md).
    private static readonly Lazy<JsonSchema> GitLabSchema = new(() => Schema(Path.Combine(AppContext.BaseDirectory, "testdata", "ci", "gitlab-ci", "ci.json")));

    private static JsonSchema Schema(string file) => JsonSchema.FromText(File.ReadAllText(file), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    private readonly BuildDriver _driver = new();

    [GitHubActions("ci", On = [GitHubActionsTrigger.Push, GitHubActionsTrigger.PullRequest, GitHubActionsTrigger.WorkflowDispatch], OnPushBranches = ["main"],
        InvokedTargets = ["Publish"], ImportSecrets = ["REGISTRY_PASSWORD"], Arguments = ["--registry", "ghcr.io/team"])]
    [GitHubActions("platforms", InvokedTargets = ["Publish"], Platforms = ["linux/amd64", "linux/arm64"])]
    [GitLab("publish", InvokedTargets = ["Publish"], ImportSecrets = ["REGISTRY_PASSWORD"], Branches = ["main"])]
    private sealed class CiBuild : BuildHost
    {
        public Target Publish => _ => _.Executes(() => { });
    }

    [GitHubActions("ci", InvokedTargets = ["Pubish"])]
    private sealed class MistypedTargetBuild : BuildHost
    {
        public Target Publish => _ => _.Executes(() => { });
    }

    [GitHubActions("ci", InvokedTargets = ["Publish"], ImportSecrets = ["REGISTRY PASSWORD"])]
    private sealed class SecretWithSpaceBuild : BuildHost
    {
        public Target Publish => _ => _.Executes(() => { });
    }

    private sealed class NoCiBuild : BuildHost
    {
        public Target Publish => _ => _.Executes(() => { });
    }

    /// YAML as JSON with YAML 1.2's core types for plain scalars (a quoted one stays a string), as GitHub reads it.
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } plain => plain.Value switch
        {
            null or "" or "~" or "null" => null,
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            var text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            var text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && !text.Contains('_') => JsonValue.Create(real),
            var text => JsonValue.Create(text),
        },
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => throw new InvalidOperationException($"a YAML node of kind {node.NodeType}"),
    };

    private static JsonNode? Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? null : ToJson(stream.Documents[0].RootNode);
    }

    private static EvaluationResults Validate(string yaml, JsonSchema? schema = null) =>
        (schema ?? GitHubSchema.Value).Evaluate(System.Text.Json.JsonSerializer.SerializeToElement(Parse(yaml)), new EvaluationOptions { OutputFormat = OutputFormat.List });

    /// The schema's complaints, each at its place in the file, for an assertion's message.
    private static string Errors(EvaluationResults result) =>
        string.Join("\n", (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")));

    public static TheoryData<string> Valid => [.. Directory.GetFiles(Path.Combine(Data, "valid")).Select(f => Path.GetFileName(f)).Order()];
    public static TheoryData<string> Invalid => [.. Directory.GetFiles(Path.Combine(Data, "invalid")).Select(f => Path.GetFileName(f)).Order()];

    /// SchemaStore's own table of workflows the schema must accept: this check (the schema, and YAML read as GitHub
    /// reads it) accepts every one.
    [Theory]
    [MemberData(nameof(Valid))]
    public void SchemaStores_valid_workflows_pass_the_check(string file) =>
        Assert.True(Validate(File.ReadAllText(Path.Combine(Data, "valid", file))).IsValid, file);

    /// And its table of workflows the schema must refuse: the check refuses every one (so a pass means something).
    [Theory]
    [MemberData(nameof(Invalid))]
    public void SchemaStores_invalid_workflows_fail_the_check(string file) =>
        Assert.False(Validate(File.ReadAllText(Path.Combine(Data, "invalid", file))).IsValid, file);

    [Fact]
    public async Task Generated_workflows_are_valid_for_GitHub_run_the_invoked_targets_and_import_the_secrets()
    {
        var run = await _driver.RunAsync(new CiBuild(), "--generate-configuration");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Wrote .github/workflows/ci.yml", run.Output);
        var ci = File.ReadAllText(Path.Combine(_driver.Root, ".github/workflows/ci.yml"));
        var platforms = File.ReadAllText(Path.Combine(_driver.Root, ".github/workflows/platforms.yml"));
        foreach (var (name, text) in new[] { ("ci", ci), ("platforms", platforms) })
        {
            var result = Validate(text);
            Assert.True(result.IsValid, $"{name}.yml:\n{text}\n" + Errors(result));
        }
        var workflow = Parse(ci)!;
        var job = workflow["jobs"]!["build"]!;
        Assert.Equal("./build.sh Publish --registry ghcr.io/team", job["steps"]![2]!["run"]!.GetValue<string>());
        Assert.Equal("${{ secrets.REGISTRY_PASSWORD }}", job["env"]!["REGISTRY_PASSWORD"]!.GetValue<string>());
        Assert.Equal(0, job["steps"]![0]!["with"]!["fetch-depth"]!.GetValue<long>());   // history and tags: versions come from them
        Assert.Equal(["main"], workflow["on"]!["push"]!["branches"]!.AsArray().Select(b => b!.GetValue<string>()));
        Assert.True(workflow["on"]!.AsObject().ContainsKey("workflow_dispatch"));
        Assert.Equal("./build.sh Publish --platform ${{ matrix.platform }}", Parse(platforms)!["jobs"]!["build"]!["steps"]![2]!["run"]!.GetValue<string>());
        Assert.StartsWith("# Written by ./build.sh --generate-configuration from [GitHubActions(\"ci\")]", ci);
    }

    /// This repository's own workflows, generated from its build class and checked in (CI fails when they are not current).
    [Fact]
    public void This_repositorys_generated_workflows_are_valid_for_GitHub()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "NukeContainers.sln"))) root = root.Parent!;
        var workflows = Directory.GetFiles(Path.Combine(root.FullName, ".github", "workflows"), "*.yml");

        Assert.NotEmpty(workflows);
        Assert.All(workflows, w => Assert.True(Validate(File.ReadAllText(w)).IsValid, w));
        var gitlab = Validate(File.ReadAllText(Path.Combine(root.FullName, ".gitlab-ci.yml")), GitLabSchema.Value);
        Assert.True(gitlab.IsValid, Errors(gitlab));
    }

    /// GitLab's own schema takes the generated pipeline, and refuses it with one value GitLab does not know (so a
    /// pass means something): a job's artifacts uploaded "sometimes", and a script that is a number.
    [Fact]
    public async Task The_generated_GitLab_pipeline_is_valid_for_GitLabs_schema_and_a_wrong_value_in_it_is_not()
    {
        await _driver.RunAsync(new CiBuild(), "--generate-configuration");
        var text = File.ReadAllText(Path.Combine(_driver.Root, ".gitlab-ci.yml"));

        var result = Validate(text, GitLabSchema.Value);
        Assert.True(result.IsValid, $".gitlab-ci.yml:\n{text}\n" + Errors(result));
        Assert.False(Validate(text.Replace("    when: always", "    when: sometimes"), GitLabSchema.Value).IsValid);
        Assert.False(Validate(text.Replace("  script:\n    - ./build.sh Publish", "  script: 3"), GitLabSchema.Value).IsValid);
    }

    [Fact]
    public async Task The_generated_GitLab_job_runs_docker_in_docker_over_TLS_and_names_the_variables_it_needs()
    {
        await _driver.RunAsync(new CiBuild(), "--generate-configuration");

        var text = File.ReadAllText(Path.Combine(_driver.Root, ".gitlab-ci.yml"));
        var job = Parse(text)!["publish"]!;
        Assert.Equal(["./build.sh Publish"], job["script"]!.AsArray().Select(s => s!.GetValue<string>()));
        Assert.Equal("tcp://docker:2376", job["variables"]!["DOCKER_HOST"]!.GetValue<string>());
        Assert.Equal("1", job["variables"]!["DOCKER_TLS_VERIFY"]!.GetValue<string>());   // a string, as GitLab's variables are
        Assert.Equal("docker", job["services"]![0]!["alias"]!.GetValue<string>());
        Assert.Equal("$CI_COMMIT_BRANCH == \"main\"", job["rules"]![0]!["if"]!.GetValue<string>());
        Assert.Contains("# The jobs read these CI/CD variables (set them in the project's settings, masked): REGISTRY_PASSWORD.", text);
    }

    [Fact]
    public async Task A_normal_run_warns_when_a_checked_in_file_is_not_what_the_attributes_generate()
    {
        var before = await _driver.RunAsync(new CiBuild(), "Publish");
        await _driver.RunAsync(new CiBuild(), "--generate-configuration");
        var current = await _driver.RunAsync(new CiBuild(), "Publish");
        File.AppendAllText(Path.Combine(_driver.Root, ".gitlab-ci.yml"), "# edited by hand\n");
        var edited = await _driver.RunAsync(new CiBuild(), "Publish");

        Assert.Equal(0, before.ExitCode);   // a warning, not a failure
        Assert.Contains("warning: .github/workflows/ci.yml is not what [GitHubActions(\"ci\")] generates (it is missing): run ./build.sh --generate-configuration and commit it.", before.Output);
        Assert.DoesNotContain("is not what", current.Output);
        Assert.Contains("warning: .gitlab-ci.yml is not what [GitLab(\"publish\")] generates: run ./build.sh --generate-configuration", edited.Output);
    }

    [Fact]
    public async Task A_wrong_attribute_value_is_bad_usage_at_generation_naming_the_attribute_and_the_value()
    {
        var mistyped = await _driver.RunAsync(new MistypedTargetBuild(), "--generate-configuration");
        var secret = await _driver.RunAsync(new SecretWithSpaceBuild(), "--generate-configuration");
        var none = await _driver.RunAsync(new NoCiBuild(), "--generate-configuration");

        Assert.Equal(2, mistyped.ExitCode);
        Assert.Contains("[GitHubActions(\"ci\")] invokes 'Pubish', which is not a target of this build. Its targets: Publish.", mistyped.Output);
        Assert.Equal(2, secret.ExitCode);
        Assert.Contains("[GitHubActions(\"ci\")]: ImportSecrets 'REGISTRY PASSWORD' is imported as an environment variable, so it needs a variable's name", secret.Output);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("This build has no [GitHubActions] or [GitLab] attribute", none.Output);
        Assert.False(Directory.Exists(Path.Combine(_driver.Root, ".github")), "nothing is written when an attribute is wrong");
    }

    public void Dispose() => _driver.Dispose();
}
