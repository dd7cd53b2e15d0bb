using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Ssi.Daemon;
using Ssi.Protocol;

// Socket completions run on the epoll thread instead of hopping to the thread pool: ICS round
// trips get within a few microseconds of raw TCP. Must be set before the first socket exists.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

// ssid: the node daemon. Runs in the foreground; 'ssi up', 'ssi init' and 'ssi join' start it
// detached with its output in the state directory's ssid.log.
if (args is not ["--state", var stateDir])
{
    Console.Error.WriteLine("usage: ssid --state DIR   (DIR holds node.json and credentials.json, written by 'ssi init', 'ssi join' or 'ssi up')");
    return 2;
}

using var logs = LoggerFactory.Create(b => b
    .SetMinimumLevel(Environment.GetEnvironmentVariable("SSI_LOG") == "debug" ? LogLevel.Debug : LogLevel.Information)
    .AddFilter("DotNext", LogLevel.Warning)
    .AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss.fff ";
        o.UseUtcTimestamp = true;
    }));
var log = logs.CreateLogger("ssid");

using var stop = new CancellationTokenSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });

try
{
    await using var daemon = await NodeDaemon.StartAsync(stateDir, logs, stop.Token);
    await daemon.RunAsync(stop.Token);
    return 0;
}
catch (SsiException e)
{
    log.LogCritical("ssid cannot run: {Reason}", e.Message);
    return 1;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    log.LogInformation("stopped before the node was ready");
    return 0;
}
