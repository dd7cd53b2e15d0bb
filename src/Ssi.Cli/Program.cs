using Ssi.Cli;

if (QuickRun.TryRun(args) is { } code)
    return code;

// The other commands' one socket: its reads complete on the epoll thread instead of waking a
// pool thread (a hop of up to 0.7 ms measured on a busy node). Must be set before the first socket exists.
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

return await CommandLine.RunAsync(args);
