namespace NukeContainers;

/// <summary>A pipeline step could not do its work; the message says what failed and what to do.</summary>
public class ContainerException(string message, Exception? inner = null) : Exception(message, inner);
