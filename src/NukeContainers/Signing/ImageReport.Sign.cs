namespace NukeContainers.Reporting;

/// The sign step's field in report.json.
public sealed partial record ImageReport
{
    /// <summary>The signature, when the step ran.</summary>
    public SignatureReport? Signature() => Field(ReportSections.Signature);
}

/// <summary>The sign step's section: the signature tag, its manifest's digest and the key's fingerprint.</summary>
public sealed record SignatureReport(string Tag, string Digest, string Key);
