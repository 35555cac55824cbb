using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace NukeContainers.Engine;

/// The TLS side of an engine over TCP, as the docker CLI does it: the engine's certificate must chain to the given CA
/// (only that CA), and the client's certificate and key go to the engine.
internal static class TcpTls
{
    public static SslClientAuthenticationOptions ClientOptions(EngineTls tls, string host)
    {
        foreach (var file in new[] { tls.CaCertificate, tls.ClientCertificate, tls.ClientKey })
            if (!File.Exists(file))
                throw new ContainerException($"The engine's TLS file {file} does not exist: DOCKER_CERT_PATH (or ~/.docker) must hold ca.pem, cert.pem and key.pem.");
        var ca = X509CertificateLoader.LoadCertificateFromFile(tls.CaCertificate);
        using var pem = X509Certificate2.CreateFromPemFile(tls.ClientCertificate, tls.ClientKey);
        var client = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);   // a key the TLS stack can use on every platform
        return new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ClientCertificates = [client],
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                var trusted = chain.Build(new X509Certificate2(certificate));
                // The name must match too, as the docker CLI checks it.
                return trusted && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
            },
        };
    }
}
