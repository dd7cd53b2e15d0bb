using System.Buffers.Binary;
using Ssi.Ics;
using Ssi.Protocol;

namespace Ssi.Daemon;

/// <summary>Echo and sink endpoints: how ICS is probed by benchmarks and by hand.</summary>
internal sealed class DiagnosticService
{
    public void Map(Router router) => router
        .MapRequest(Methods.Echo, (request, _) => ValueTask.FromResult(request.Payload))
        .MapStream(Methods.EchoStream, async (stream, _, ct) =>
        {
            await stream.CopyToAsync(stream, ct).ConfigureAwait(false);
            await stream.CompleteWritesAsync(ct).ConfigureAwait(false);
        })
        .MapStream(Methods.Sink, async (stream, _, ct) =>
        {
            var buffer = new byte[256 * 1024];
            long total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                total += read;
            var count = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(count, total);
            await stream.WriteAsync(count, ct).ConfigureAwait(false);
            await stream.CompleteWritesAsync(ct).ConfigureAwait(false);
        });
}
