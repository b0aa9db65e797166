using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace StickyLb.Proxy.Gateway;

/// <summary>
/// The HTTPS listeners' certificate, loaded by .NET's own loaders (the ones Kestrel's configuration uses): a PEM
/// certificate with its PEM key (<c>--certificate</c> + <c>--certificate-key</c>, or one PEM file holding both),
/// or a PFX whose password comes from <see cref="PasswordVariable"/>, never from the command line, so that it
/// is never in a process listing, a log or an error.
/// </summary>
internal static class GatewayCertificate
{
    /// <summary>The environment variable that holds a PFX's password.</summary>
    public const string PasswordVariable = "STICKYLB_CERTIFICATE_PASSWORD";

    /// <summary>
    /// Loads the certificate the options name, or says in one line why it cannot (a missing or unreadable file,
    /// a key that does not match, no private key, a wrong PFX password); the password is never part of it.
    /// </summary>
    public static bool TryLoad(GatewayOptions options, [NotNullWhen(true)] out X509Certificate2? certificate, out string error)
    {
        certificate = null;
        error = "";
        if (options.Certificate is not { Length: > 0 } path)
        {
            error = "no certificate was given";
            return false;
        }

        foreach (var (name, file) in new[] { ("certificate", path), ("certificate-key", options.CertificateKey) })
        {
            if (file is not null && !File.Exists(file))
            {
                error = $"Invalid {name} '{file}' (--{name}): no such file.";
                return false;
            }
        }

        try
        {
            if (options.CertificateKey is null && IsPem(path) && !File.ReadAllText(path).Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            {
                error = $"Invalid certificate '{path}' (--certificate): a PEM certificate without its private key; give the key with --certificate-key.";
                return false;
            }

            certificate = options.CertificateKey is { Length: > 0 } key ? X509Certificate2.CreateFromPemFile(path, key)
                : IsPem(path) ? X509Certificate2.CreateFromPemFile(path)
                : X509CertificateLoader.LoadPkcs12FromFile(path, Environment.GetEnvironmentVariable(PasswordVariable));
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            error = $"Invalid certificate '{path}' (--certificate{(options.CertificateKey is null ? "" : $" with --certificate-key '{options.CertificateKey}'")}): "
                + Describe(ex, options) + ".";
            return false;
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            certificate = null;
            error = $"Invalid certificate '{path}' (--certificate): it holds no private key; give the key with --certificate-key, or a PFX that holds it.";
            return false;
        }

        return true;
    }

    private static bool IsPem(string path)
    {
        using var reader = new StreamReader(path);
        var buffer = new char[256];
        var read = reader.ReadBlock(buffer, 0, buffer.Length);
        return new string(buffer, 0, read).Contains("-----BEGIN", StringComparison.Ordinal);
    }

    private static string Describe(Exception ex, GatewayOptions options) => ex switch
    {
        UnauthorizedAccessException => "the file cannot be read (permissions)",
        CryptographicException when options.CertificateKey is not null || IsPemSafe(options.Certificate!) =>
            "not a PEM certificate with a matching private key (" + ex.Message.TrimEnd('.') + ")",
        CryptographicException => $"not a PFX this password opens (the password comes from {PasswordVariable})",
        _ => ex.Message.TrimEnd('.'),
    };

    private static bool IsPemSafe(string path)
    {
        try
        {
            return IsPem(path);
        }
        catch (IOException)
        {
            return false;
        }
    }
}
