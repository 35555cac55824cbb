namespace NukeContainers.Scanning;

/// <summary>One regular file of one layer of the image, as the scan reads the image's layers (bottom layer first).</summary>
/// <param name="Layer">The layer's name in the image archive the engine exported (each layer's files come together).</param>
/// <param name="Path">The file's path in the image, without a leading slash: <c>app/appsettings.json</c>.</param>
/// <param name="Size">Its size in bytes.</param>
/// <param name="Mode">Its permission bits (and setuid, setgid, sticky), as in the layer's tar header.</param>
public sealed record ImageFile(string Layer, string Path, long Size, int Mode)
{
    /// <summary>The largest file whose bytes a visitor is given; it still sees larger files' names, sizes and modes.</summary>
    public const long ContentLimit = 8 << 20;
}

/// <summary>
/// Sees the image's files as the scan reads the image's layers, once for all analysers: every regular file of every
/// layer (a file a later layer deletes or replaces too; it still ships in its own layer).
/// </summary>
public interface IImageFileVisitor
{
    /// <summary>Whether it wants this file's bytes (given only for files up to <see cref="ImageFile.ContentLimit"/>).</summary>
    bool Wants(ImageFile file);

    /// <summary>The bytes of a file it wanted.</summary>
    void Visit(ImageFile file, ReadOnlySpan<byte> content);
}

/// <summary>
/// An analyser that reads the image's files: before the scan reads the layers it asks each such analyser for a visitor
/// for that image, and gives the analyser its visitor back in <see cref="ScanInput.Files"/> when the analyser runs.
/// </summary>
public interface IImageFileAnalyser : IImageAnalyser
{
    /// <summary>A new visitor for one image's files (the image's id).</summary>
    IImageFileVisitor StartImage(string imageId);
}
