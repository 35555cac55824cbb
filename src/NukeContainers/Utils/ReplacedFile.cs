namespace NukeContainers.Utils;

/// A file replaced whole: written beside it, then moved over it, so that a reader (or a run stopped while writing)
/// never sees half of it. A failure removes what was written beside it and is the caller's.
internal static class ReplacedFile
{
    public static async Task WriteAllTextAsync(string path, string text, CancellationToken cancellationToken)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            await File.WriteAllTextAsync(temporary, text, cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            throw;
        }
    }
}
