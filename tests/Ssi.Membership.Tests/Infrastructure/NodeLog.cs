using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Ssi.Membership.Tests.Infrastructure;

/// <summary>
/// Keeps the last log lines of every node of a test cluster (CLMS and DotNext Raft, Information and up)
/// in memory, so that a test that times out can show what the nodes did.
/// </summary>
internal sealed class NodeLog
{
    private const int Keep = 4000;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly DateTime _start = DateTime.UtcNow;

    public ILoggerFactory For(string node) => new Factory(this, node);

    /// <summary>
    /// The first lines (how the cluster formed), then each node's last lines: one node repeating
    /// itself (a candidate every 200 ms, say) must not hide what the others did.
    /// </summary>
    public string Tail(int first = 150, int perNode = 60)
    {
        var all = _lines.ToArray();
        var text = new System.Text.StringBuilder();
        text.AppendLine("-- first lines:");
        foreach (var line in all.Take(first))
            text.AppendLine(line);
        foreach (var node in all.Select(NodeOf).Distinct().Order(StringComparer.Ordinal))
        {
            text.AppendLine($"-- last lines of {node}:");
            foreach (var line in all.Where(l => NodeOf(l) == node).TakeLast(perNode))
                text.AppendLine(line);
        }
        return text.ToString();
    }

    // "   4.991 n1 Info RaftCluster: ...": the node is the second word.
    private static string NodeOf(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, var node, ..] ? node : "";

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > Keep)
            _lines.TryDequeue(out _);
    }

    private sealed class Factory(NodeLog log, string node) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Logger(log, node, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    private sealed class Logger(NodeLog log, string node, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
                return;
            var at = (DateTime.UtcNow - log._start).TotalSeconds;
            log.Add($"{at,8:F3} {node} {logLevel.ToString()[..4]} {category}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message)}");
        }
    }
}
