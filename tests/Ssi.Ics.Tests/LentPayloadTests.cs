using System.Security.Cryptography;
using Ssi.Protocol;

namespace Ssi.Ics.Tests;

/// <summary>A handler mapped with <see cref="Router.MapRequestLendingPayload"/> reads its payload from a pooled buffer until it completes.</summary>
public class LentPayloadTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Lent_payloads_arrive_intact_whether_the_handler_completes_at_once_or_later()
    {
        await using var nodes = await TwoNodes.StartAsync((_, b) => b.MapRequestLendingPayload(Methods.Echo, async (r, ct) =>
        {
            // Odd first bytes: answer after an await, so the buffer is lent across it.
            if (r.Payload.Length > 0 && (r.Payload.Span[0] & 1) != 0)
                await Task.Delay(1, ct);
            return SHA256.HashData(r.Payload.Span);
        }));

        var payloads = Enumerable.Range(0, 40).Select(i => RandomNumberGenerator.GetBytes(i % 4 == 0 ? 2 << 20 : 1000 + i)).ToArray();
        var answers = await Task.WhenAll(payloads.Select(p => nodes.A.RequestAsync(2, Methods.Echo, p, Generous)));

        for (int i = 0; i < payloads.Length; i++)
            Assert.Equal(SHA256.HashData(payloads[i]), answers[i]);
    }
}
