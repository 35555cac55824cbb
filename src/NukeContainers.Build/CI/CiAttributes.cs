namespace NukeContainers.Build.CI;

/// <summary>What starts a generated GitHub Actions workflow.</summary>
public enum GitHubActionsTrigger
{
    /// <summary>A push (to <see cref="GitHubActionsAttribute.OnPushBranches"/> when given).</summary>
    Push,
    /// <summary>A pull request (to <see cref="GitHubActionsAttribute.OnPullRequestBranches"/> when given).</summary>
    PullRequest,
    /// <summary>A run started by hand from the Actions tab.</summary>
    WorkflowDispatch,
}

/// <summary>
/// What the two CI platforms' attributes share: the workflow's name, the targets it invokes, the secrets it imports as
/// environment variables (a [Secret] parameter's variable, such as REGISTRY_PASSWORD), and a matrix over platforms.
/// </summary>
public abstract class CiAttribute(string name) : Attribute
{
    /// <summary>The workflow's (or job's) name: letters, digits, '-' and '_'.</summary>
    public string Name { get; } = name;

    /// <summary>The targets the job runs (<c>./build.sh TARGET ...</c>); the build's default target when none is given.</summary>
    public string[] InvokedTargets { get; set; } = [];

    /// <summary>Secrets the platform hands the job as environment variables of these names (REGISTRY_PASSWORD ...).</summary>
    public string[] ImportSecrets { get; set; } = [];

    /// <summary>More arguments for every invocation, such as <c>--registry ghcr.io/team</c>.</summary>
    public string[] Arguments { get; set; } = [];

    /// <summary>A job a platform for each of these (<c>linux/amd64</c>, <c>linux/arm64</c>), passed as <c>--platform</c>.</summary>
    public string[] Platforms { get; set; } = [];

    /// <summary>Whether a normal run warns when the checked-in file is not what generation would write (default true).</summary>
    public bool WarnWhenOutOfDate { get; set; } = true;
}

/// <summary>
/// A GitHub Actions workflow for the build, written by <c>./build.sh --generate-configuration</c> to
/// <c>.github/workflows/NAME.yml</c> (as NUKE's <c>[GitHubActions]</c>): checkout with history and tags (versions come
/// from them), the NuGet packages and the build's own outputs cached, the targets run, the secrets imported.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class GitHubActionsAttribute(string name) : CiAttribute(name)
{
    /// <summary>What starts it (default: a push).</summary>
    public GitHubActionsTrigger[] On { get; set; } = [GitHubActionsTrigger.Push];

    /// <summary>The branches whose pushes start it (all when empty).</summary>
    public string[] OnPushBranches { get; set; } = [];

    /// <summary>The branches whose pull requests start it (all when empty).</summary>
    public string[] OnPullRequestBranches { get; set; } = [];

    /// <summary>The runner (default <c>ubuntu-latest</c>, which has Docker).</summary>
    public string RunsOn { get; set; } = "ubuntu-latest";
}

/// <summary>
/// A GitLab CI job for the build, written by <c>./build.sh --generate-configuration</c> into <c>.gitlab-ci.yml</c> (one
/// job an attribute): the .NET SDK image, Docker-in-Docker as a service over TLS (DOCKER_HOST=tcp://docker:2376 with
/// the certificates the service makes), history and tags fetched, the NuGet packages and the build's outputs cached.
/// GitLab hands a project's CI/CD variables to every job as environment variables; <see cref="CiAttribute.ImportSecrets"/>
/// names the ones the job needs, and generation checks the names.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class GitLabAttribute(string name) : CiAttribute(name)
{
    /// <summary>The job's image (default: the .NET SDK's).</summary>
    public string Image { get; set; } = "mcr.microsoft.com/dotnet/sdk:10.0";

    /// <summary>The Docker-in-Docker service's image.</summary>
    public string DockerService { get; set; } = "docker:27-dind";

    /// <summary>The branches it runs for (all when empty).</summary>
    public string[] Branches { get; set; } = [];

    /// <summary>Its stage (default <c>build</c>).</summary>
    public string Stage { get; set; } = "build";
}
