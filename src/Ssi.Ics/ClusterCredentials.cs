using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ssi.Protocol;

namespace Ssi.Ics;

/// <summary>
/// What a node needs to be admitted: the cluster's name and id and its 256-bit key. Created
/// once by <c>ssi init</c>, carried to other nodes inside a join token, stored readable by root only.
/// </summary>
public sealed record ClusterCredentials(string ClusterName, string ClusterId, byte[] Key)
{
    private const string TokenPrefix = "ssi1.";

    /// <summary>Makes credentials for a new cluster.</summary>
    public static ClusterCredentials Create(string clusterName) =>
        new(clusterName, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), RandomNumberGenerator.GetBytes(32));

    /// <summary>Writes the credentials to <paramref name="path"/> with mode 0600.</summary>
    public void Save(string path)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(this, CredentialsJson.Default.ClusterCredentials);
        using (var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            file.Write(json);
        }
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>Reads credentials written by <see cref="Save"/>; a clear error if missing or damaged.</summary>
    public static ClusterCredentials Load(string path)
    {
        if (!File.Exists(path))
            throw new SsiException(Status.NotFound, $"no cluster credentials at {path}: run 'ssi init' on the first node or 'ssi join TOKEN' on this one");
        try
        {
            var credentials = JsonSerializer.Deserialize(File.ReadAllBytes(path), CredentialsJson.Default.ClusterCredentials);
            return Validate(credentials, path);
        }
        catch (JsonException e)
        {
            throw new SsiException(Status.InvalidArgument, $"cluster credentials at {path} are damaged ({e.Message}); copy them again with a join token");
        }
    }

    /// <summary>Encodes these credentials and a seed address as a join token for <c>ssi join</c>.</summary>
    public string ToJoinToken(string seed)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new JoinToken(ClusterName, ClusterId, Convert.ToBase64String(Key), seed), CredentialsJson.Default.JoinToken);
        return TokenPrefix + Base64Url(json);
    }

    /// <summary>Decodes a join token; returns the credentials and the seed address it carries.</summary>
    public static (ClusterCredentials Credentials, string Seed) FromJoinToken(string token)
    {
        const string hint = "copy the whole token printed by 'ssi init' or 'ssi token' on a cluster node";
        if (!token.StartsWith(TokenPrefix, StringComparison.Ordinal))
            throw new SsiException(Status.InvalidArgument, $"not a join token (it should start with '{TokenPrefix}'): {hint}");
        try
        {
            var raw = token[TokenPrefix.Length..].Replace('-', '+').Replace('_', '/');
            raw = raw.PadRight(raw.Length + (4 - raw.Length % 4) % 4, '=');
            var parsed = JsonSerializer.Deserialize(Convert.FromBase64String(raw), CredentialsJson.Default.JoinToken)
                ?? throw new JsonException("empty");
            var credentials = Validate(new ClusterCredentials(parsed.Name, parsed.Id, Convert.FromBase64String(parsed.Key)), "the token");
            return (credentials, parsed.Seed);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new SsiException(Status.InvalidArgument, $"the join token is damaged: {hint}");
        }
    }

    private static ClusterCredentials Validate(ClusterCredentials? credentials, string where)
    {
        if (credentials is null || string.IsNullOrEmpty(credentials.ClusterId) || credentials.Key is not { Length: 32 })
            throw new SsiException(Status.InvalidArgument, $"cluster credentials in {where} are incomplete (need a name, an id and a 32-byte key)");
        return credentials;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Never print the key.</summary>
    public override string ToString() => $"cluster {ClusterName} ({ClusterId})";

    internal sealed record JoinToken(string Name, string Id, string Key, string Seed);
}

[JsonSerializable(typeof(ClusterCredentials))]
[JsonSerializable(typeof(ClusterCredentials.JoinToken))]
internal sealed partial class CredentialsJson : JsonSerializerContext;
