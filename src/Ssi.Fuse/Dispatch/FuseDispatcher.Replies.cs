using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Ssi.Fuse.Protocol;

namespace Ssi.Fuse.Dispatch;

/// <summary>Reply writing: header plus payload, always one message per write.</summary>
internal sealed partial class FuseDispatcher
{
    private const int MaxStackReply = 512;

    private void ReplyError(ulong unique, Errno error)
    {
        Span<byte> message = stackalloc byte[OutHeader.Size];
        WriteHeader(message, unique, OutHeader.Size, -error.Value);
        Send(message);
    }

    private void ReplyOk(ulong unique) => ReplyError(unique, Errno.Ok);

    private void Reply<T>(ulong unique, in T payload) where T : unmanaged
    {
        int size = OutHeader.Size + Unsafe.SizeOf<T>();
        Span<byte> message = stackalloc byte[MaxStackReply];
        message = message[..size];
        WriteHeader(message, unique, size, 0);
        MemoryMarshal.Write(message[OutHeader.Size..], in payload);
        Send(message);
    }

    private void Reply<T1, T2>(ulong unique, in T1 first, in T2 second) where T1 : unmanaged where T2 : unmanaged
    {
        int size = OutHeader.Size + Unsafe.SizeOf<T1>() + Unsafe.SizeOf<T2>();
        Span<byte> message = stackalloc byte[MaxStackReply];
        message = message[..size];
        WriteHeader(message, unique, size, 0);
        MemoryMarshal.Write(message[OutHeader.Size..], in first);
        MemoryMarshal.Write(message[(OutHeader.Size + Unsafe.SizeOf<T1>())..], in second);
        Send(message);
    }

    /// <summary>Replies with <paramref name="payloadLength"/> bytes already placed after a reserved header in <paramref name="buffer"/>.</summary>
    private void ReplyBuffer(ulong unique, byte[] buffer, int payloadLength)
    {
        int size = OutHeader.Size + payloadLength;
        WriteHeader(buffer, unique, size, 0);
        Send(buffer.AsSpan(0, size));
    }

    /// <summary>A pooled buffer with room for the header and <paramref name="payload"/> bytes.</summary>
    private static byte[] RentReply(int payload) => ArrayPool<byte>.Shared.Rent(OutHeader.Size + payload);

    private static void ReturnReply(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);

    private static void WriteHeader(Span<byte> message, ulong unique, int length, int error)
    {
        var header = new OutHeader { Length = (uint)length, Error = error, Unique = unique };
        MemoryMarshal.Write(message, in header);
    }

    private void Send(ReadOnlySpan<byte> message)
    {
        Errno result = _channel.Send(message);
        // ENOENT: the request was interrupted and already answered by the kernel; nothing to do.
        if (!result.IsOk && result != Errno.ENOENT)
            _logger?.LogWarning("FUSE: writing a reply failed: {Error}", result);
    }
}
