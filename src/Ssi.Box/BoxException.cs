namespace Ssi.Box;

/// <summary>A box operation failed; the message says what, where, and what to do.</summary>
public sealed class BoxException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BoxException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public BoxException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception without a message.</summary>
    public BoxException() { }
}
