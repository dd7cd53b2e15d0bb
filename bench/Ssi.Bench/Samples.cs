namespace Ssi.Bench;

/// <summary>Latency samples and their percentiles.</summary>
internal sealed class Samples
{
    private readonly List<double> _values = [];

    public void Add(TimeSpan value) => _values.Add(value.TotalMicroseconds);

    public void AddMicroseconds(double value) => _values.Add(value);

    public int Count => _values.Count;

    public double Percentile(double p)
    {
        if (_values.Count == 0)
            return double.NaN;
        var sorted = _values.Order().ToArray();
        var rank = Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[rank];
    }

    public double P50 => Percentile(50);

    public double P99 => Percentile(99);

    public double Max => _values.Count == 0 ? double.NaN : _values.Max();
}
