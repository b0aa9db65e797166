using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;

namespace StickyLb.Tests.Proxy.Gateway;

/// <summary>
/// The HTTPS certificate as a user gives it, and the one line a bad one gets. The PFX password is set in this
/// process's environment only by tests of this class, which xunit runs one at a time.
/// </summary>
public sealed class GatewayCertificateTests : IDisposable
{
    private readonly TestCertificate _certificate = new();

    [Fact]
    public void APemCertificateWithItsKeyLoads()
    {
        var ok = GatewayCertificate.TryLoad(Options(_certificate.CertificatePem, _certificate.KeyPem), out var loaded, out var error);

        using (loaded)
        {
            Assert.True(ok, error);
            Assert.Equal(_certificate.Thumbprint, loaded!.Thumbprint);
            Assert.True(loaded.HasPrivateKey);
        }
    }

    [Fact]
    public void OnePemFileHoldingCertificateAndKeyLoads()
    {
        var ok = GatewayCertificate.TryLoad(Options(_certificate.CombinedPem), out var loaded, out var error);

        using (loaded)
        {
            Assert.True(ok, error);
            Assert.True(loaded!.HasPrivateKey);
        }
    }

    [Fact]
    public void APfxLoadsWithThePasswordFromTheEnvironment()
    {
        Environment.SetEnvironmentVariable(GatewayCertificate.PasswordVariable, _certificate.PfxPassword);
        try
        {
            var ok = GatewayCertificate.TryLoad(Options(_certificate.Pfx), out var loaded, out var error);

            using (loaded)
            {
                Assert.True(ok, error);
                Assert.Equal(_certificate.Thumbprint, loaded!.Thumbprint);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(GatewayCertificate.PasswordVariable, null);
        }
    }

    [Fact]
    public void AWrongPfxPasswordIsOneLineThatNeverShowsIt()
    {
        const string wrong = "not-the-password-4711";
        Environment.SetEnvironmentVariable(GatewayCertificate.PasswordVariable, wrong);
        try
        {
            var ok = GatewayCertificate.TryLoad(Options(_certificate.Pfx), out _, out var error);

            Assert.False(ok);
            Assert.Contains("not a PFX this password opens", error, StringComparison.Ordinal);
            Assert.DoesNotContain(wrong, error, StringComparison.Ordinal);
            Assert.DoesNotContain(_certificate.PfxPassword, error, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', error);
        }
        finally
        {
            Environment.SetEnvironmentVariable(GatewayCertificate.PasswordVariable, null);
        }
    }

    [Fact]
    public void AKeyThatDoesNotMatchTheCertificateIsOneLine()
    {
        using var other = new TestCertificate();

        var ok = GatewayCertificate.TryLoad(Options(_certificate.CertificatePem, other.KeyPem), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith($"Invalid certificate '{_certificate.CertificatePem}' (--certificate with --certificate-key '{other.KeyPem}'): not a PEM certificate with a matching private key", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AMissingFileIsOneLineNamingIt(bool missingKey)
    {
        var missing = Path.Combine(Path.GetTempPath(), "stickylb-no-such-" + Guid.NewGuid().ToString("N") + ".pem");

        var ok = GatewayCertificate.TryLoad(missingKey ? Options(_certificate.CertificatePem, missing) : Options(missing), out _, out var error);

        Assert.False(ok);
        Assert.Equal($"Invalid {(missingKey ? "certificate-key" : "certificate")} '{missing}' (--{(missingKey ? "certificate-key" : "certificate")}): no such file.", error);
    }

    [Fact]
    public void ACertificateWithoutItsKeyIsOneLineAskingForTheKey()
    {
        var ok = GatewayCertificate.TryLoad(Options(_certificate.CertificatePem), out _, out var error);

        Assert.False(ok);
        Assert.Contains("--certificate-key", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void AFileThatIsNoCertificateIsOneLine()
    {
        var garbage = _certificate.Write("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");

        var ok = GatewayCertificate.TryLoad(Options(garbage, _certificate.KeyPem), out _, out var error);

        Assert.False(ok);
        Assert.StartsWith($"Invalid certificate '{garbage}'", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    public void Dispose() => _certificate.Dispose();

    private static GatewayOptions Options(string certificate, string? key = null) => new() { Certificate = certificate, CertificateKey = key };
}
