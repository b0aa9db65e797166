using System.Net;
using StickyLb.Proxy.Gateway;
using StickyLb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace StickyLb.Tests.Integration;

/// <summary>
/// The gateway where a deployment needs it: listening on any address, over HTTPS with a certificate a user gives,
/// to HTTP/2 and HTTP/1.1 clients (curl: nghttp2 and OpenSSL), with the <c>server</c> cookie <c>Secure</c> on
/// HTTPS; and the one line a bad listener or certificate gets.
/// </summary>
[Collection(GatewayProcesses.Name)]
[Trait("Category", "E2E")]
public sealed class ListenerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CurlTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AnHttpsListenerOnAnyAddressSpeaksHttp2AndHttp11AndPinsWithASecureCookie()
    {
        using var certificate = new TestCertificate(IPAddress.Loopback);
        var https = FreePorts.Next();
        var http = FreePorts.Next();
        await using var gateway = await GatewayProcess.StartAsync(
            output, "--listen", $"https://0.0.0.0:{https}", "--listen", $"http://127.0.0.1:{http}", "--certificate", certificate.CertificatePem, "--certificate-key", certificate.KeyPem);
        using var jar = new TempFile();

        var first = await CurlAsync("--http2", "--cacert", certificate.CertificatePem, "-c", jar.Path, "-b", jar.Path, $"https://127.0.0.1:{https}/whoami");
        var second = await CurlAsync("--http1.1", "--cacert", certificate.CertificatePem, "-c", jar.Path, "-b", jar.Path, $"https://127.0.0.1:{https}/whoami");
        var overHttp = await CurlAsync($"http://127.0.0.1:{http}/whoami");

        Assert.StartsWith("HTTP/2 200", first.Output, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 200", second.Output, StringComparison.Ordinal);
        var cookie = Assert.Single(Header(first.Output, "set-cookie"), c => c.StartsWith("server=", StringComparison.Ordinal));
        Assert.Contains("; secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        // The pin holds across protocols: the second request, HTTP/1.1 with the jar, went to the same backend.
        Assert.Equal(Header(first.Output, "x-backend"), Header(second.Output, "x-backend"));
        Assert.DoesNotContain(Header(second.Output, "set-cookie"), c => c.StartsWith("server=", StringComparison.Ordinal));
        var plainCookie = Assert.Single(Header(overHttp.Output, "set-cookie"), c => c.StartsWith("server=", StringComparison.Ordinal));
        Assert.DoesNotContain("secure", plainCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"gateway https://0.0.0.0:{https} http://127.0.0.1:{http},", gateway.Output, StringComparison.Ordinal);
        Assert.Contains(ListeningAddresses(https), a => a.Equals(IPAddress.Any));
    }

    [Fact]
    public async Task APfxCertificateServesHttpsAndItsPasswordIsNeverPrinted()
    {
        using var certificate = new TestCertificate(IPAddress.Loopback);
        var https = FreePorts.Next();
        await using var gateway = await GatewayProcess.StartAsync(
            output,
            new Dictionary<string, string> { ["STICKYLB_CERTIFICATE_PASSWORD"] = certificate.PfxPassword },
            "--listen", $"https://127.0.0.1:{https}", "--certificate", certificate.Pfx);

        var response = await CurlAsync("--http2", "--cacert", certificate.CertificatePem, $"https://localhost:{https}/whoami");
        using var admin = await gateway.Admin.GetAsync("/api/settings");

        Assert.StartsWith("HTTP/2 200", response.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(certificate.PfxPassword, gateway.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(certificate.PfxPassword, await admin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAdminApiIsNotServedOnAnHttpsGatewayListener()
    {
        using var certificate = new TestCertificate(IPAddress.Loopback);
        var https = FreePorts.Next();
        await using var gateway = await GatewayProcess.StartAsync(
            output, "--listen", $"https://127.0.0.1:{https}", "--certificate", certificate.CertificatePem, "--certificate-key", certificate.KeyPem);

        var kill = await CurlAsync("--cacert", certificate.CertificatePem, "-X", "POST", $"https://127.0.0.1:{https}/api/backends/1/kill");
        var dashboard = await CurlAsync("--cacert", certificate.CertificatePem, $"https://127.0.0.1:{https}/api/backends");

        // Both went to a backend (X-Backend), which has no such endpoint; every backend still runs.
        Assert.All<Curl.Result>([kill, dashboard], r =>
        {
            Assert.Contains(" 404", r.Output.Split('\n')[0], StringComparison.Ordinal);
            Assert.NotEmpty(Header(r.Output, "x-backend"));
        });
        Assert.All(await gateway.GetBackendsAsync(), b => Assert.Equal("running", b.State));
    }

    [Fact]
    public async Task AnHttpsAdminListenerOffLoopbackUsesTheSameCertificateAndStillAsksForTheToken()
    {
        using var certificate = new TestCertificate(IPAddress.Loopback);
        var admin = FreePorts.Next();
        const string Token = "admin-token-over-tls-0815";
        await using var gateway = await GatewayProcess.StartAsync(
            output,
            new Dictionary<string, string> { ["STICKYLB_ADMIN_TOKEN"] = Token },
            "--admin-listen", $"https://0.0.0.0:{admin}", "--certificate", certificate.CertificatePem, "--certificate-key", certificate.KeyPem);

        var withToken = await CurlAsync("--http2", "--cacert", certificate.CertificatePem, "-H", $"Authorization: Bearer {Token}", $"https://127.0.0.1:{admin}/api/backends");
        var without = await CurlAsync("--cacert", certificate.CertificatePem, $"https://127.0.0.1:{admin}/api/backends");
        var plain = await Curl.RunAsync(CurlTimeout, "--include", $"http://127.0.0.1:{admin}/api/backends");

        Assert.StartsWith("HTTP/2 200", withToken.Output, StringComparison.Ordinal);
        Assert.Contains("\"state\":\"running\"", withToken.Output, StringComparison.Ordinal);
        Assert.Contains(" 401", without.Output.Split('\n')[0], StringComparison.Ordinal);
        Assert.DoesNotContain(" 200", plain.Output.Split('\n')[0], StringComparison.Ordinal);
        Assert.DoesNotContain(Token, gateway.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("an https:// listener needs --certificate", false, false)]
    [InlineData("no such file", true, false)]
    [InlineData("not a PEM certificate with a matching private key", true, true)]
    public async Task ABadCertificateStopsStartUpWithOneLineAndNoBackend(string expected, bool giveCertificate, bool wrongKey)
    {
        using var certificate = new TestCertificate();
        using var other = new TestCertificate();
        var args = new List<string> { "--listen", $"https://127.0.0.1:{FreePorts.Next()}" };
        if (giveCertificate)
        {
            args.AddRange(["--certificate", certificate.CertificatePem, "--certificate-key", wrongKey ? other.KeyPem : certificate.KeyPem + ".missing"]);
        }

        await using var gateway = GatewayProcess.Launch(output, [.. args]);
        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("stickylb: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("ready", gateway.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PortWithListenIsOneLine()
    {
        await using var gateway = GatewayProcess.Launch(output, "--listen", $"http://127.0.0.1:{FreePorts.Next()}", "--port", "0");

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exitCode);
        Assert.StartsWith("stickylb: Options '--port' and '--listen' cannot be given together", Assert.Single(gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    private static async Task<Curl.Result> CurlAsync(params string[] args)
    {
        var result = await Curl.RunAsync(CurlTimeout, ["--include", .. args]);
        Assert.True(result.ExitCode == 0, $"curl {string.Join(' ', args)} ended with {result.ExitCode}: {result.Errors}");
        return result;
    }

    /// <summary>The values of header <paramref name="name"/> in curl's <c>--include</c> output.</summary>
    private static List<string> Header(string response, string name) =>
        [.. response.Split("\r\n\r\n")[0].Split("\r\n").Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && string.Equals(parts[0], name, StringComparison.OrdinalIgnoreCase))
            .Select(parts => parts[1].Trim())];

    /// <summary>The addresses a TCP socket listens on at <paramref name="port"/>.</summary>
    private static List<IPAddress> ListeningAddresses(int port) =>
        [.. System.Net.NetworkInformation.IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Where(e => e.Port == port).Select(e => e.Address)];

    private sealed class TempFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.GetTempFileName();

        public void Dispose() => File.Delete(Path);
    }
}
