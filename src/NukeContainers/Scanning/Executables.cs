namespace NukeContainers.Scanning;

/// <summary>Finding a scanner's executable the way Trivy's and Grype's analysers do.</summary>
public static class Executables
{
    /// <summary>
    /// The file the environment variable names (which must exist), else <paramref name="executable"/> on PATH; null when
    /// there is none.
    /// </summary>
    public static string? Locate(string executable, string variable)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } given)
            return File.Exists(given) ? given : throw new ContainerException($"{variable} names {given}, which does not exist.");
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, executable)).FirstOrDefault(File.Exists);
    }
}
