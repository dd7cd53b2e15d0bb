using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Ssi.Ics;

/// <summary>
/// A TLS identity every node derives from the cluster key: the same ECDSA P-256 key pair on
/// every node (HKDF of the key), in a self-signed certificate. A peer is a cluster member when
/// its certificate carries that public key, which only holders of the cluster key can prove.
/// Used where a transport brings its own TLS (the Raft port), so no certificate authority or
/// extra credentials are needed.
/// </summary>
public sealed class ClusterCertificate : IDisposable
{
    private readonly byte[] _publicKey;

    /// <summary>Derives the identity from <paramref name="credentials"/>.</summary>
    public ClusterCertificate(ClusterCredentials credentials)
    {
        using var key = DeriveKey(credentials.Key);
        var request = new CertificateRequest($"CN=ssi-{credentials.ClusterId}", key, HashAlgorithmName.SHA256);
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(20));
        _publicKey = Certificate.GetPublicKey();
    }

    /// <summary>This node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>True when <paramref name="certificate"/> proves membership of this cluster.</summary>
    public bool IsClusterPeer(X509Certificate? certificate) =>
        certificate is not null && CryptographicOperations.FixedTimeEquals(certificate.GetPublicKey(), _publicKey);

    /// <summary>Accepts exactly the peers that hold the cluster key; names and chains do not matter.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        IsClusterPeer(certificate);

    /// <summary>TLS options for the accepting side: a client certificate is required.</summary>
    public SslServerAuthenticationOptions ServerOptions() => new()
    {
        ServerCertificate = Certificate,
        ClientCertificateRequired = true,
        RemoteCertificateValidationCallback = Validate,
        EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13,
    };

    /// <summary>TLS options for the dialing side: it presents the same identity.</summary>
    public SslClientAuthenticationOptions ClientOptions() => new()
    {
        TargetHost = "ssi",
        ClientCertificates = [Certificate],
        RemoteCertificateValidationCallback = Validate,
        EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls13,
    };

    private static ECDsa DeriveKey(byte[] clusterKey)
    {
        // A derived scalar is out of range with probability ~2^-32; the counter moves past it.
        for (var attempt = 0; ; attempt++)
        {
            var scalar = HKDF.DeriveKey(HashAlgorithmName.SHA256, clusterKey, 32, salt: [],
                info: Encoding.ASCII.GetBytes($"ssi raft tls key {attempt}"));
            try
            {
                return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = scalar });
            }
            catch (CryptographicException) when (attempt < 8)
            {
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => Certificate.Dispose();
}
