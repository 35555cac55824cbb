namespace NukeContainers.Reporting;

/// The attest step's field in report.json.
public sealed partial record ImageReport
{
    /// <summary>The attestations, when the step attached any.</summary>
    public AttestationsReport? Attestations() => Field(ReportSections.Attestations);
}

/// <summary>The attest step's section: the index the tags name, the image manifest the attestations are about, and their predicate types.</summary>
public sealed record AttestationsReport(string Index, string Manifest, IReadOnlyList<string> Predicates);
