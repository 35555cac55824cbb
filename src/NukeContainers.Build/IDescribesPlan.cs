namespace NukeContainers.Build;

/// <summary>
/// A component that adds to <c>--plan</c> what it knows of the planned targets beyond their order (the container
/// components print each image's step graph for Publish).
/// </summary>
public interface IDescribesPlan : IBuild
{
    /// <summary>Text to print after the targets' plan, or null; <paramref name="targets"/> are the planned targets' names, in order.</summary>
    Task<string?> DescribePlanAsync(IReadOnlyList<string> targets, CancellationToken cancellationToken);
}
