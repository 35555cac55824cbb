namespace NukeContainers.Build;

/// <summary>
/// A component that sets something up once the build has its root, log and parameters, before any target runs (as
/// NUKE's <c>IOnBuildInitialized</c>): <c>void IOnBuildInitialized.OnBuildInitialized() => Log.Masker.Link(...);</c>.
/// </summary>
public interface IOnBuildInitialized : IBuild
{
    /// <summary>Called once, after the parameters are bound and before the first target (also for --help and --plan).</summary>
    void OnBuildInitialized();
}
