using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NukeContainers.Engine;

namespace NukeContainers.Provisioning;

/// The certificates an engine listening with TLS needs, made for it: a CA, the engine's certificate for 127.0.0.1 and
/// localhost, and a client certificate, all signed by that CA and valid for the time asked.
internal static class EngineCertificates
{
    /// The certificates in the folder when they are all there and valid for at least <paramref name="left"/> more.
    public static EngineTls? ValidIn(string folder, TimeSpan left)
    {
        string[] files = ["ca.pem", "cert.pem", "key.pem", "server-cert.pem", "server-key.pem"];
        if (!files.All(f => File.Exists(Path.Combine(folder, f)))) return null;
        try
        {
            foreach (var file in new[] { "ca.pem", "cert.pem", "server-cert.pem" })
            {
                using var certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(folder, file));
                if (certificate.NotAfter.ToUniversalTime() < DateTime.UtcNow + left) return null;
            }
            return EngineTls.InFolder(folder);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    public static EngineTls Create(string folder, TimeSpan validity)
    {
        Directory.CreateDirectory(folder);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=nukecontainers engine CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now, now.Add(validity));
        File.WriteAllText(Path.Combine(folder, "ca.pem"), ca.ExportCertificatePem());

        void Issue(string name, string subject, bool server)
        {
            using var key = RSA.Create(2048);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
                [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
            if (server)
            {
                var names = new SubjectAlternativeNameBuilder();
                names.AddIpAddress(IPAddress.Loopback);
                names.AddDnsName("localhost");
                request.CertificateExtensions.Add(names.Build());
            }
            using var certificate = request.Create(ca, now, now.Add(validity), RandomNumberGenerator.GetBytes(16));
            File.WriteAllText(Path.Combine(folder, name + "-cert.pem"), certificate.ExportCertificatePem());
            var keyFile = Path.Combine(folder, name + "-key.pem");
            File.WriteAllText(keyFile, key.ExportRSAPrivateKeyPem());
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);   // as the docker CLI's key.pem
        }
        Issue("server", "CN=127.0.0.1", server: true);
        Issue("client", "CN=nukecontainers client", server: false);
        File.Move(Path.Combine(folder, "client-cert.pem"), Path.Combine(folder, "cert.pem"), overwrite: true);
        File.Move(Path.Combine(folder, "client-key.pem"), Path.Combine(folder, "key.pem"), overwrite: true);
        return EngineTls.InFolder(folder);
    }
}
