using System.Net;
using System.Text;
using DotNext.Buffers;
using DotNext.Buffers.Binary;
using DotNext.Net.Cluster.Consensus.Raft.Membership;

namespace Ssi.Membership;

/// <summary>
/// The Raft voter set, kept in a file of the node's state directory so that a restarted voter
/// knows its peers before it hears from any of them. DotNext's persistent storage is abstract
/// over the address type; an address is stored as a length-prefixed UTF-8 "ip:port".
/// </summary>
internal sealed class RaftAddressStorage(string fileName) : PersistentClusterConfigurationStorage<EndPoint>(fileName)
{
    protected override IEqualityComparer<EndPoint> Comparer => EqualityComparer<EndPoint>.Default;

    protected override void Encode(EndPoint address, ref BufferWriterSlim<byte> writer)
    {
        var bytes = Encoding.UTF8.GetBytes(address.ToString() ?? "");
        ByteBuffer.WriteLittleEndian(ref writer, bytes.Length);
        writer.Write(bytes);
    }

    protected override EndPoint Decode(ref SequenceReader reader)
    {
        var length = reader.ReadLittleEndian<int>();
        var bytes = new byte[length];
        reader.Read(bytes);
        return IPEndPoint.Parse(Encoding.UTF8.GetString(bytes));
    }
}
