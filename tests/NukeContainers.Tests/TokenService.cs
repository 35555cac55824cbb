using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace NukeContainers.Tests;

/// A token service for a registry with token auth, a test stand-in for the ones real registries put in front of
/// themselves: it checks Basic credentials and answers with an RS256 JWT signed by a key whose self-signed certificate
/// the registry trusts (rootcertbundle), granting the scope asked for.
internal sealed class TokenService : IDisposable
{
    public const string Issuer = "nukecontainers-test-issuer";
    public const string Service = "nukecontainers-test-registry";

    private readonly HttpListener _listener = new();
    private readonly RSA _key = RSA.Create(2048);
    private readonly X509Certificate2 _certificate;
    private readonly string _user;
    private readonly string _password;
    private readonly Task _serving;

    public TokenService(string user, string password)
    {
        (_user, _password) = (user, password);
        var request = new CertificateRequest("CN=nukecontainers test token issuer", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Realm = $"http://127.0.0.1:{EngineFixture.FreePort()}/token";
        _listener.Prefixes.Add(Realm[..(Realm.LastIndexOf('/') + 1)]);
        _listener.Start();
        _serving = ServeAsync();
    }

    public string Realm { get; }

    /// How many tokens it gave: the proof that a client took the Bearer route.
    public int Issued { get; private set; }

    /// The certificate the registry trusts, as PEM.
    public string CertificatePem => _certificate.ExportCertificatePem();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var response = context.Response;
            // GET with basic auth and scope parameters (the docker engine's distribution client), or an OAuth2 POST
            // with a form of grant_type=password, username, password and scope (containerd's, as Docker 26's
            // containerd image store asks): scopes are repeated or space-separated.
            var form = context.Request.HttpMethod == "POST"
                ? System.Web.HttpUtility.ParseQueryString(await new StreamReader(context.Request.InputStream).ReadToEndAsync())
                : new System.Collections.Specialized.NameValueCollection();
            var basic = context.Request.Headers["Authorization"] is { } header && header.StartsWith("Basic ", StringComparison.Ordinal)
                ? Encoding.UTF8.GetString(Convert.FromBase64String(header[6..]))
                : form["username"] is { } formUser ? $"{formUser}:{form["password"]}" : null;
            if (basic != $"{_user}:{_password}")
            {
                response.StatusCode = 401;
                continue;
            }
            var scopes = (context.Request.QueryString.GetValues("scope") ?? []).Concat(form.GetValues("scope") ?? [])
                .SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            var token = Token(scopes);
            Issued++;
            var body = JsonSerializer.SerializeToUtf8Bytes(new { token, access_token = token, expires_in = 300 });
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(body);
        }
    }

    /// A JWT granting the scopes ("repository:NAME:pull,push") asked for.
    private string Token(IEnumerable<string> scopes)
    {
        var access = scopes.Select(scope => scope.Split(':')).Where(parts => parts.Length == 3)
            .Select(parts => new { type = parts[0], name = parts[1], actions = parts[2].Split(',') }).ToArray();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = new { typ = "JWT", alg = "RS256", x5c = new[] { Convert.ToBase64String(_certificate.RawData) } };
        var claims = new { iss = Issuer, sub = _user, aud = Service, exp = now + 300, nbf = now - 10, iat = now, jti = Guid.NewGuid().ToString("N"), access };
        var signed = $"{Base64Url(JsonSerializer.SerializeToUtf8Bytes(header))}.{Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims))}";
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signed), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signed}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose()
    {
        _listener.Close();
        _serving.GetAwaiter().GetResult();
        _key.Dispose();
        _certificate.Dispose();
    }
}
