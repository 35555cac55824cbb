using System.Linq.Expressions;

namespace NukeContainers.Build;

/// <summary>
/// What a build component (an interface with default targets) can reach of the build that runs it.
/// Components extend it: <c>interface IPushImages : IBuild { Target Push => _ => _.Executes(...); }</c>.
/// </summary>
public interface IBuild
{
    /// <summary>The repository root: <c>--root</c>, or the nearest folder above with a .git.</summary>
    AbsolutePath RootDirectory { get; }

    /// <summary>The build's log; secrets are masked in every line.</summary>
    BuildLog Log { get; }

    /// <summary>
    /// The bound value of a component's parameter, or null when neither the command line nor the environment set it:
    /// <c>[Parameter("Registry")] string Registry => TryGetValue(() => Registry) ?? "127.0.0.1:5000";</c>
    /// </summary>
    T? TryGetValue<T>(Expression<Func<T>> parameter);

    /// <summary>Adds a note to the running target's row of the end-of-build summary (sizes, tags, digests).</summary>
    void Note(string note);
}
