using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace StickyLb.Tests.Infrastructure;

/// <summary>
/// A self-signed server certificate made for one test, written as a user would give it: a PEM certificate and
/// its PEM key, one PEM file holding both, and a PFX with a password. The folder is deleted on dispose.
/// </summary>
internal sealed class TestCertificate : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("stickylb-cert-").FullName;

    /// <summary>The subject of every test certificate; the test harness's own admin client trusts it.</summary>
    public const string Subject = "CN=StickyLb test";

    public TestCertificate(params IPAddress[] addresses)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(Subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        foreach (var address in addresses.DefaultIfEmpty(IPAddress.Loopback))
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        Thumbprint = certificate.Thumbprint;

        CertificatePem = Write("cert.pem", certificate.ExportCertificatePem());
        KeyPem = Write("key.pem", key.ExportPkcs8PrivateKeyPem());
        CombinedPem = Write("combined.pem", certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem());
        Pfx = Path.Combine(_folder, "cert.pfx");
        File.WriteAllBytes(Pfx, certificate.Export(X509ContentType.Pfx, PfxPassword));
    }

    /// <summary>The PFX's password (the gateway reads it from STICKYLB_CERTIFICATE_PASSWORD).</summary>
    public string PfxPassword { get; } = "pfx-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8));

    public string Thumbprint { get; }

    public string CertificatePem { get; }

    public string KeyPem { get; }

    public string CombinedPem { get; }

    public string Pfx { get; }

    /// <summary>A file in this certificate's folder, for tests that need another (a wrong key, garbage).</summary>
    public string Write(string name, string content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
