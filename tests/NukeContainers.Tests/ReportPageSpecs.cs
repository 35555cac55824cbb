using System.Globalization;
using System.Text.RegularExpressions;
using CliWrap;
using CliWrap.Buffered;
using NukeContainers.Reporting;
using NukeContainers.Scanning;
using NukeContainers.Slimming;

namespace NukeContainers.Tests;

/// report.html as headless Chromium lays it out (Debian's chromium, installed when missing): the bars' widths as the
/// browser measured them, against the figures of a real build, slim and scan; and a screenshot for a person to look at.
[Collection(EngineCollection.Name)]
public sealed class ReportPageSpecs(EngineFixture fixture, Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _context = new();
    private readonly TempFolder _out = new();

    public void Dispose()
    {
        _context.Dispose();
        _out.Dispose();
    }

    private static async Task<string> ChromiumAsync(params string[] arguments)
    {
        await Provisioning.DebianPackages.EnsureInstalledAsync(_ => { }, CancellationToken.None, "chromium");
        var result = await Cli.Wrap("chromium").WithArguments(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", .. arguments])
            .WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(result.ExitCode == 0, $"chromium exited {result.ExitCode}: {result.StandardError}");
        return result.StandardOutput;
    }

    [Fact]
    public async Task Report_html_shows_the_size_against_the_naive_build_each_layers_size_and_hidden_bytes_and_the_findings_as_bars()
    {
        // A layer whose file the next layer deletes (hidden bytes), and a naive build three times the size.
        _context.Write("Dockerfile", $"FROM {EngineFixture.BaseImage}\nRUN head -c 300000 /dev/urandom > /big && echo {Guid.NewGuid():N} > /id\nRUN rm /big && head -c 100000 /dev/urandom > /small\n")
            .Write("Dockerfile.naive", $"FROM {EngineFixture.BaseImage}\nRUN head -c 900000 /dev/urandom > /naive\n");
        var result = await EngineFixture.Pipeline("report-page").FromDockerfile(_context.Path).CompareWith("Dockerfile.naive").WithLog(output.WriteLine)
            .Slim(s => s with { Remove = SlimCategories.None }).Scan(s => s with { OutputFolder = _out.Path, UseTrivy = false }).RunAsync(fixture.Engine);
        var report = ContainerReport.From([result], _context.Path);
        await report.WriteAsync(_out.Path);
        var page = Path.Combine(_out.Path, "report.html");

        // The browser's own layout: a copy of the page with a script that writes each bar's measured width (as a share of
        // its track) into the bar; the page itself has no script.
        var measured = Path.Combine(_out.Path, "measured.html");
        await File.WriteAllTextAsync(measured, (await File.ReadAllTextAsync(page)).Replace("</body>",
            "<script>for (const b of document.querySelectorAll('.bar')) b.dataset.measured = (b.getBoundingClientRect().width / b.parentElement.getBoundingClientRect().width).toFixed(4);</script></body>"));
        var dom = await ChromiumAsync("--window-size=1200,1600", "--dump-dom", "file://" + measured);
        var screenshot = Path.Combine(EngineFixture.RepositoryRoot(), "artifacts", "test-results", "report-html.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await ChromiumAsync("--window-size=1200,1600", $"--screenshot={screenshot}", "file://" + page);
        output.WriteLine($"Screenshot of report.html: {screenshot}");

        // A bar's width as the browser laid it out, against its share: within half a hundredth (rounding both to two places,
        // as before, failed on a .xx5 boundary for a difference of 0.00003).
        const double Layout = 0.005;
        List<(string Class, long Figure, double Width)> Bars(string table) =>
            Regex.Matches(Regex.Match(dom, $"<table class=\"{table}\">(.*?)</table>", RegexOptions.Singleline).Groups[1].Value,
                    "<div class=\"bar ([a-z]+)\" data-(?:bytes|count|ms)=\"(\\d+)\" style=\"[^\"]*\" data-measured=\"([0-9.]+)\"")
                .Select(m => (m.Groups[1].Value, long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture))).ToList();
        var sizes = Bars("sizes");
        var layers = Bars("layers");
        var findings = Bars("findings");
        var steps = Bars("steps");
        var entry = report.Images[0];
        var slim = entry.Slim()!;
        var scan = entry.Scan()!;

        // Size: the naive build is the full width, the image its share of it.
        Assert.Equal([("size", entry.SizeBytes), ("naive", entry.Baseline()!.SizeBytes)], sizes.Select(b => (b.Class, b.Figure)));
        Assert.Equal(1.0, sizes[1].Width, Layout);
        Assert.Equal((double)entry.SizeBytes / entry.Baseline()!.SizeBytes, sizes[0].Width, Layout);
        // Layers: a size bar and a hidden bar each, on the largest layer's scale; the layer of /big has 300,000 bytes hidden.
        Assert.Equal(slim.LayerFigures.Count * 2, layers.Count);
        var largest = slim.LayerFigures.Max(l => l.SizeBytes);
        foreach (var (layer, i) in slim.LayerFigures.Select((l, i) => (l, i)))
        {
            Assert.Equal(("size", layer.SizeBytes), (layers[2 * i].Class, layers[2 * i].Figure));
            Assert.Equal(("hidden", layer.HiddenBytes), (layers[2 * i + 1].Class, layers[2 * i + 1].Figure));
            Assert.Equal((double)layer.SizeBytes / largest, layers[2 * i].Width, Layout);
            Assert.Equal((double)layer.HiddenBytes / largest, layers[2 * i + 1].Width, Layout);
        }
        Assert.Equal(300_000, Assert.Single(slim.LayerFigures, l => l.HiddenBytes > 0).HiddenBytes);
        // Findings by severity, as the scan counted them.
        Assert.Equal([("critical", (long)scan.Critical), ("high", scan.High), ("medium", scan.Medium), ("low", scan.Low), ("unknown", scan.Unknown)],
            findings.Select(b => (b.Class, b.Figure)));
        Assert.Contains(findings, b => b.Figure > 0 && Math.Abs(b.Width - (double)b.Figure / findings.Max(f => f.Figure)) < 0.01);
        // The findings themselves, worst first, as the scan listed them.
        var listed = Regex.Matches(dom, "<tr class=\"([a-z]+)\" data-id=\"([^\"]+)\">").Select(m => (m.Groups[1].Value, m.Groups[2].Value)).ToList();
        Assert.Equal(scan.Findings!.Select(f => (f.Severity, f.Id)), listed);
        Assert.Equal(scan.Critical + scan.High + scan.Medium + scan.Low + scan.Unknown, listed.Count);
        Assert.NotEmpty(listed);
        // Where the time went: each step's bar is its share of the image's time.
        Assert.Equal(entry.DurationsMs.Select(d => ("step", d.Value)), steps.Select(b => (b.Class, b.Figure)));
        foreach (var step in steps) Assert.Equal((double)step.Figure / Math.Max(1, entry.DurationsMs.Values.Sum()), step.Width, Layout);
        // The run at a glance, at the top: the image built, its time, and the total.
        var overview = Regex.Match(dom, "<table class=\"overview\">(.*?)</table>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Matches($"<tr data-image=\"{Regex.Escape(entry.Name)}\"><td>[^<]+</td><td class=\"build\">built</td><td>[0-9.]+ MB \\([0-9.]+% of the naive build\\)</td><td class=\"time\" data-ms=\"{entry.DurationsMs.Values.Sum()}\">", overview);
        Assert.Contains($"1 image, the steps' time added up</td><td class=\"time\" data-ms=\"{entry.DurationsMs.Values.Sum()}\">", overview);
        Assert.True(dom.IndexOf("class=\"overview\"", StringComparison.Ordinal) < dom.IndexOf("class=\"image\"", StringComparison.Ordinal), "the overview comes first");
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
    }
}
