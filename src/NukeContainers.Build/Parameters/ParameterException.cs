namespace NukeContainers.Build;

/// <summary>A command line or parameter value the build cannot use; the message says which and what to do.</summary>
public sealed class ParameterException(string message) : Exception(message);
