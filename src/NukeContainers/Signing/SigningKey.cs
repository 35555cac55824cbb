using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Macs;
using Org.BouncyCastle.Crypto.Parameters;

namespace NukeContainers.Signing;

/// <summary>
/// An ECDSA private key that signs images as cosign does. Read from a PEM file or an environment variable
/// (<c>env://NAME</c>, cosign's way): cosign's own encrypted key (<c>cosign generate-key-pair</c>: scrypt and NaCl
/// secretbox, opened with its password), or an unencrypted PKCS#8 or SEC1 EC key (<c>openssl ecparam -genkey</c>).
/// Neither the key nor its password ever reaches a message.
/// </summary>
public sealed class SigningKey : IDisposable
{
    private readonly ECDsa _key;

    private SigningKey(ECDsa key, string source) => (_key, Source) = (key, source);

    /// <summary>Where the key came from: a path or <c>env://NAME</c>.</summary>
    public string Source { get; }

    /// <summary>The public key, as <c>cosign verify --key</c> takes it (PEM, SubjectPublicKeyInfo).</summary>
    public string PublicKeyPem => _key.ExportSubjectPublicKeyInfoPem();

    /// <summary>The public key that verifies this key's signatures.</summary>
    public VerificationKey VerificationKey => VerificationKey.Parse(PublicKeyPem, Source + " (its public key)");

    /// <summary>Signs as cosign does: ECDSA over the SHA-256 of the bytes, ASN.1 DER.</summary>
    public byte[] Sign(byte[] payload) => _key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

    /// <summary>
    /// Reads the key from a file or <c>env://NAME</c>. The password opens an encrypted key; when null, COSIGN_PASSWORD's
    /// (cosign's variable). A bad key or password fails naming the source and what to do, never the secret.
    /// </summary>
    public static SigningKey Load(string location, string? password = null)
    {
        var text = ReadLocation(location, "signing key");
        password ??= Environment.GetEnvironmentVariable("COSIGN_PASSWORD");
        return Parse(text, location, password);
    }

    /// <summary>Reads a PEM key from its text; <paramref name="source"/> names it in errors.</summary>
    public static SigningKey Parse(string pem, string source, string? password)
    {
        var (label, der) = Pem(pem, source);
        var key = ECDsa.Create();
        try
        {
            switch (label)
            {
                case "ENCRYPTED SIGSTORE PRIVATE KEY" or "ENCRYPTED COSIGN PRIVATE KEY":
                    var plain = Decrypt(der, source, password);
                    try { key.ImportPkcs8PrivateKey(plain, out _); }
                    finally { CryptographicOperations.ZeroMemory(plain); }
                    break;
                case "PRIVATE KEY":
                    key.ImportPkcs8PrivateKey(der, out _);
                    break;
                case "ENCRYPTED PRIVATE KEY":
                    // openssl's encrypted PKCS#8 (openssl pkcs8 -topk8 -v2 aes-256-cbc): opened with the same password.
                    if (password is null)
                        throw new ContainerException($"The signing key {source} is an encrypted PKCS#8 key (BEGIN ENCRYPTED PRIVATE KEY): give its password with --signing-key-password or COSIGN_PASSWORD.");
                    try { key.ImportEncryptedPkcs8PrivateKey(password, der, out _); }
                    catch (CryptographicException)
                    {
                        throw new ContainerException($"The password does not open the signing key {source} (an encrypted PKCS#8 key): check --signing-key-password or COSIGN_PASSWORD.");
                    }
                    break;
                case "EC PRIVATE KEY":
                    key.ImportECPrivateKey(der, out _);
                    break;
                default:
                    throw new ContainerException($"The signing key {source} is a PEM '{label}', not a private key: give cosign's key (cosign generate-key-pair) or a PKCS#8 EC private key (BEGIN PRIVATE KEY, or BEGIN ENCRYPTED PRIVATE KEY with its password).");
            }
        }
        catch (CryptographicException)
        {
            key.Dispose();
            throw new ContainerException($"The signing key {source} is not an EC private key that can be read (only ECDSA keys sign here, as cosign's do): check the file, or make one with cosign generate-key-pair.");
        }
        catch
        {
            key.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
        return new SigningKey(key, source);
    }

    /// The text of a file, or of an environment variable named as env://NAME.
    internal static string ReadLocation(string location, string what)
    {
        if (location.StartsWith("env://", StringComparison.Ordinal))
        {
            var name = location["env://".Length..];
            return Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value
                : throw new ContainerException($"The {what} {location} names the environment variable {name}, which is not set.");
        }
        return File.Exists(location) ? File.ReadAllText(location)
            : throw new ContainerException($"The {what} {location} does not exist: give a PEM file, or env://NAME for a key in an environment variable.");
    }

    /// The label and bytes of the first PEM block.
    internal static (string Label, byte[] Der) Pem(string text, string source)
    {
        var begin = text.IndexOf("-----BEGIN ", StringComparison.Ordinal);
        var labelEnd = begin < 0 ? -1 : text.IndexOf("-----", begin + 11, StringComparison.Ordinal);
        if (labelEnd < 0) throw new ContainerException($"The key {source} is not PEM (no -----BEGIN ...----- line).");
        var label = text[(begin + 11)..labelEnd];
        var end = text.IndexOf($"-----END {label}-----", labelEnd, StringComparison.Ordinal);
        if (end < 0) throw new ContainerException($"The key {source} has no -----END {label}----- line.");
        try
        {
            return (label, Convert.FromBase64String(text[(labelEnd + 5)..end].Trim()));
        }
        catch (FormatException)
        {
            throw new ContainerException($"The key {source}'s PEM block {label} is not base64.");
        }
    }

    /// cosign's encrypted key (sigstore's format): JSON with scrypt's parameters and salt, and the PKCS#8 key sealed
    /// with NaCl secretbox (XSalsa20-Poly1305) under the key scrypt derives from the password.
    private static byte[] Decrypt(byte[] sealedJson, string source, string? password)
    {
        if (string.IsNullOrEmpty(password))
            throw new ContainerException($"The signing key {source} is encrypted: give its password (--signing-key-password, or COSIGN_PASSWORD as cosign reads it).");
        int n, r, p;
        byte[] salt, nonce, box;
        try
        {
            using var json = JsonDocument.Parse(sealedJson);
            var root = json.RootElement;
            var kdf = root.GetProperty("kdf");
            var parameters = kdf.GetProperty("params");
            if (kdf.GetProperty("name").GetString() != "scrypt" || root.GetProperty("cipher").GetProperty("name").GetString() != "nacl/secretbox")
                throw new ContainerException($"The signing key {source} is encrypted in a way this version does not read (it reads scrypt with nacl/secretbox, cosign's).");
            (n, r, p) = (parameters.GetProperty("N").GetInt32(), parameters.GetProperty("r").GetInt32(), parameters.GetProperty("p").GetInt32());
            salt = Convert.FromBase64String(kdf.GetProperty("salt").GetString()!);
            nonce = Convert.FromBase64String(root.GetProperty("cipher").GetProperty("nonce").GetString()!);
            box = Convert.FromBase64String(root.GetProperty("ciphertext").GetString()!);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            throw new ContainerException($"The signing key {source} is not a cosign encrypted key that can be read ({e.GetType().Name}).");
        }
        if (nonce.Length != 24 || box.Length < 16) throw new ContainerException($"The signing key {source} is damaged (its nonce or ciphertext is too short).");
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        var key = SCrypt.Generate(passwordBytes, salt, n, r, p, 32);
        CryptographicOperations.ZeroMemory(passwordBytes);
        try
        {
            return SecretBoxOpen(box, nonce, key) ?? throw new ContainerException(
                $"The signing key {source} could not be opened with the password given: check --signing-key-password (or COSIGN_PASSWORD).");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// NaCl's crypto_secretbox_open: the box is the Poly1305 tag and the XSalsa20 ciphertext; the first 32 bytes of the
    /// key stream are the one-time Poly1305 key. Null when the tag does not match (a wrong password).
    private static byte[]? SecretBoxOpen(byte[] box, byte[] nonce, byte[] key)
    {
        var cipher = new XSalsa20Engine();
        cipher.Init(false, new ParametersWithIV(new KeyParameter(key), nonce));
        var macKey = new byte[32];
        cipher.ProcessBytes(new byte[32], 0, 32, macKey, 0);
        var mac = new Poly1305();
        mac.Init(new KeyParameter(macKey));
        mac.BlockUpdate(box, 16, box.Length - 16);
        var tag = new byte[16];
        mac.DoFinal(tag, 0);
        CryptographicOperations.ZeroMemory(macKey);
        if (!CryptographicOperations.FixedTimeEquals(tag, box.AsSpan(0, 16))) return null;
        var plain = new byte[box.Length - 16];
        cipher.ProcessBytes(box, 16, plain.Length, plain, 0);
        return plain;
    }

    /// <summary>Never the key: its source.</summary>
    public override string ToString() => $"signing key {Source}";

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}

/// <summary>A public key that checks signatures: cosign.pub, or any PEM SubjectPublicKeyInfo EC key.</summary>
public sealed class VerificationKey : IDisposable
{
    private readonly ECDsa _key;

    private VerificationKey(ECDsa key, string source) => (_key, Source) = (key, source);

    /// <summary>Where the key came from.</summary>
    public string Source { get; }

    /// <summary>The SHA-256 of the key's SubjectPublicKeyInfo, to name it in reports.</summary>
    public string Fingerprint => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(_key.ExportSubjectPublicKeyInfo()));

    /// <summary>Reads a public key from a file or <c>env://NAME</c>.</summary>
    public static VerificationKey Load(string location) => Parse(SigningKey.ReadLocation(location, "public key"), location);

    /// <summary>Reads a PEM public key; <paramref name="source"/> names it in errors.</summary>
    public static VerificationKey Parse(string pem, string source)
    {
        var (label, der) = SigningKey.Pem(pem, source);
        if (label != "PUBLIC KEY") throw new ContainerException($"The public key {source} is a PEM '{label}': give the public key (cosign.pub, BEGIN PUBLIC KEY).");
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(der, out _);
        }
        catch (CryptographicException)
        {
            key.Dispose();
            throw new ContainerException($"The public key {source} is not an EC public key (only ECDSA keys are checked here, as cosign makes them).");
        }
        return new VerificationKey(key, source);
    }

    /// <summary>True when the signature (ASN.1 DER) is this key's over the payload.</summary>
    public bool Verify(byte[] payload, byte[] signature)
    {
        try
        {
            return _key.VerifyData(payload, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"public key {Source} ({Fingerprint[..19]})";

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
