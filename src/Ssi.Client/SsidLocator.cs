using Ssi.Protocol;

namespace Ssi.Client;

/// <summary>Finds the <c>ssid</c> executable: $SSI_SSID, else next to the running program.</summary>
public static class SsidLocator
{
    /// <summary>The path of <c>ssid</c>, with a clear error when it is missing.</summary>
    public static string Find()
    {
        if (Environment.GetEnvironmentVariable("SSI_SSID") is { Length: > 0 } configured)
            return File.Exists(configured) ? configured
                : throw new SsiException(Status.NotFound, $"SSI_SSID points to {configured}, which does not exist");
        var beside = Path.Combine(AppContext.BaseDirectory, "ssid");
        if (File.Exists(beside))
            return beside;
        throw new SsiException(Status.NotFound, $"ssid is not installed next to {AppContext.BaseDirectory}: build with './ssi' from the repository, or set SSI_SSID");
    }
}
