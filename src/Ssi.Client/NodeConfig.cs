using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Ssi.Protocol;

namespace Ssi.Client;

/// <summary>
/// How one node's daemon runs: written by <c>ssi init</c>, <c>ssi join</c> or <c>ssi up</c> into
/// the node's state directory as <c>node.json</c>, read by <c>ssid --state DIR</c>.
/// </summary>
public sealed record NodeConfig
{
    /// <summary>File name of the config inside the state directory.</summary>
    public const string FileName = "node.json";

    /// <summary>File name of the credentials inside the state directory.</summary>
    public const string CredentialsFileName = "credentials.json";

    /// <summary>Default ICS port.</summary>
    public const int DefaultIcsPort = 7100;

    /// <summary>Default Raft port (ICS port + 1).</summary>
    public const int DefaultRaftPort = 7101;

    /// <summary>The node's name (unique in the cluster).</summary>
    public required string Name { get; init; }

    /// <summary>ICS address, "ip:port".</summary>
    public required string Listen { get; init; }

    /// <summary>Raft address, "ip:port".</summary>
    public required string RaftListen { get; init; }

    /// <summary>Path of the daemon's Unix socket.</summary>
    public required string Socket { get; init; }

    /// <summary>True on the node that founded the cluster (first start only matters).</summary>
    public bool Init { get; init; }

    /// <summary>ICS address of a node to join through, "ip:port".</summary>
    public string? Seed { get; init; }

    /// <summary>Largest number of Raft voters.</summary>
    public int MaxVoters { get; init; } = 5;

    /// <summary>Where this node mounts the cluster filesystem (CFS); empty: no mount.</summary>
    public string CfsMount { get; init; } = "/cluster";

    /// <summary>The node number of the CFS server.</summary>
    public int CfsServer { get; init; } = 1;

    /// <summary>On the CFS server node: the local directory exported as the cluster tree.</summary>
    public string? CfsExport { get; init; }

    /// <summary>Reads <c>node.json</c> from <paramref name="stateDir"/> with a clear error if absent or damaged.</summary>
    public static NodeConfig Load(string stateDir)
    {
        var path = Path.Combine(stateDir, FileName);
        if (!File.Exists(path))
            throw new SsiException(Status.NotFound, $"no node configuration at {path}: run 'ssi init' or 'ssi join TOKEN' first");
        try
        {
            var config = JsonSerializer.Deserialize(File.ReadAllBytes(path), NodeConfigJson.Default.NodeConfig)
                ?? throw new JsonException("empty file");
            ParseEndPoint(config.Listen, "listen");
            ParseEndPoint(config.RaftListen, "raftListen");
            if (config.Seed is not null)
                ParseEndPoint(config.Seed, "seed");
            return config;
        }
        catch (JsonException e)
        {
            throw new SsiException(Status.InvalidArgument, $"{path} is not a valid node configuration: {e.Message}");
        }
    }

    /// <summary>Writes this config into <paramref name="stateDir"/>.</summary>
    public void Save(string stateDir)
    {
        Directory.CreateDirectory(stateDir);
        File.WriteAllBytes(Path.Combine(stateDir, FileName), JsonSerializer.SerializeToUtf8Bytes(this, NodeConfigJson.Default.NodeConfig));
    }

    /// <summary>Parses "ip:port" with an error that names the field.</summary>
    public static IPEndPoint ParseEndPoint(string text, string field)
    {
        if (IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port != 0)
            return endPoint;
        throw new SsiException(Status.InvalidArgument, $"{field} '{text}' is not an address of the form IP:PORT (for example 10.0.0.5:{DefaultIcsPort})");
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(NodeConfig))]
internal sealed partial class NodeConfigJson : JsonSerializerContext;
