using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Ssi.Cfs.Tests.Infrastructure;

/// <summary>Sends the library's log to the test's output.</summary>
internal sealed class TestOutputLogs(ITestOutputHelper output, LogLevel minimum = LogLevel.Debug) : ILoggerFactory, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider) { }

    public void Dispose() { }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel < minimum)
            return;
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
        }
        catch (InvalidOperationException)
        {
        }
    }
}
