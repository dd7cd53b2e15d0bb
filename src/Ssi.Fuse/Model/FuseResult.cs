namespace Ssi.Fuse;

/// <summary>
/// Either a value or an <see cref="Errno"/>. Converts implicitly from both, so a handler can
/// <c>return entry;</c> or <c>return Errno.ENOENT;</c>.
/// </summary>
/// <typeparam name="T">The success value.</typeparam>
public readonly struct FuseResult<T>
{
    /// <summary>A success carrying <paramref name="value"/>.</summary>
    public FuseResult(T value)
    {
        Value = value;
        Error = Errno.Ok;
    }

    /// <summary>A failure with <paramref name="error"/> (which must not be <see cref="Errno.Ok"/>).</summary>
    public FuseResult(Errno error)
    {
        Value = default!;
        Error = error.IsOk ? Errno.EIO : error;
    }

    /// <summary>The value, meaningful only when <see cref="IsOk"/>.</summary>
    public T Value { get; }

    /// <summary>The error, <see cref="Errno.Ok"/> on success.</summary>
    public Errno Error { get; }

    /// <summary>True on success.</summary>
    public bool IsOk => Error.IsOk;

    /// <summary>Wraps a value.</summary>
    public static implicit operator FuseResult<T>(T value) => new(value);

    /// <summary>Wraps an error.</summary>
    public static implicit operator FuseResult<T>(Errno error) => new(error);

    /// <summary>Wraps a value (named alternative to the implicit conversion).</summary>
    public static FuseResult<T> FromValue(T value) => new(value);

    /// <summary>Wraps an error (named alternative to the implicit conversion).</summary>
    public static FuseResult<T> FromError(Errno error) => new(error);
}
