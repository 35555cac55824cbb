namespace NukeContainers.Build;

/// <summary>A command line or parameter value the build cannot use; the message says which and what to do (exit code 2).</summary>
public sealed class ParameterException(string message) : Exception(message);

/// <summary>
/// A mistake in the build's definition that the host finds before anything runs: a reference to a target that is not
/// one, a cycle, an Inherit with nothing to inherit. The message says where and what to change (exit code 2).
/// </summary>
public sealed class BuildDefinitionException(string message) : Exception(message);
