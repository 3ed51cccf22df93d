namespace PerfCI.Core.Analysis.Synthetic;

/// <summary>
/// What a labelled synthetic series looks like. Noise is multiplicative, as benchmark noise is: a trial
/// is level x (1 + run offset + trial noise), the run offset shared by the trials of one point (a
/// machine that boots slower, a warmer GPU), so that trials of one run are not independent.
/// </summary>
public sealed record SyntheticSeriesSpec
{
    public int Points { get; init; } = 400;
    public int Trials { get; init; } = 5;
    public double Level { get; init; } = 100;

    /// <summary>
    /// Coefficient of variation of one trial around its level (0.01 = 1%), the second mode of bimodal
    /// noise included; outliers are not (they are what a robust CV leaves out).
    /// </summary>
    public double NoiseCv { get; init; } = 0.01;

    /// <summary>Share of the trial variance that is run-to-run (common to a point's trials).</summary>
    public double RunShare { get; init; } = 0.5;

    /// <summary>Relative size of every step (0.05 = 5%); the direction of each is random. 0: pure noise.</summary>
    public double StepMagnitude { get; init; }

    /// <summary>Points between steps, drawn uniformly; steps never come closer to either end than the minimum.</summary>
    public int MinSpacing { get; init; } = 40;
    public int MaxSpacing { get; init; } = 90;

    /// <summary>Share of trials hit by a spike of +20% to +100% (a page-cache miss, a GC pause).</summary>
    public double TrialOutlierRate { get; init; }

    /// <summary>Share of points whose whole run is +10% to +30% off (a noisy neighbour on the machine).</summary>
    public double RunOutlierRate { get; init; }

    /// <summary>Share of trials that land in a second mode (a different kernel picked, a cache state).</summary>
    public double BimodalFraction { get; init; }

    /// <summary>
    /// Where the second mode sits, relative to the level (0.05 = 5% above). Its share of the variance is
    /// taken out of the Gaussian part, so that <see cref="NoiseCv"/> stays the CV of a trial.
    /// </summary>
    public double BimodalShift { get; init; }
}

/// <summary>A step the generator put in: the first index at the new level and its relative size.</summary>
public sealed record LabelledStep(int Index, double Magnitude);

public sealed record LabelledSeries(SyntheticSeriesSpec Spec, int Seed, IReadOnlyList<SeriesPoint> Points, IReadOnlyList<LabelledStep> Steps);

/// <summary>Seeded, labelled series: the same spec and seed give the same points on every machine.</summary>
public static class SyntheticSeries
{
    public static LabelledSeries Generate(SyntheticSeriesSpec spec, int seed)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var random = new Random(seed);
        var steps = new List<LabelledStep>();
        if (spec.StepMagnitude != 0)
        {
            for (var index = Spacing(spec, random); index <= spec.Points - spec.MinSpacing; index += Spacing(spec, random))
                steps.Add(new LabelledStep(index, random.Next(2) == 0 ? spec.StepMagnitude : -spec.StepMagnitude));
        }

        var modeVariance = spec.BimodalFraction * (1 - spec.BimodalFraction) * spec.BimodalShift * spec.BimodalShift;
        var gaussianVariance = spec.NoiseCv * spec.NoiseCv - modeVariance;
        if (gaussianVariance < 0)
            throw new ArgumentException("The second mode alone is noisier than NoiseCv.", nameof(spec));
        var runSigma = Math.Sqrt(gaussianVariance * spec.RunShare);
        var trialSigma = Math.Sqrt(gaussianVariance * (1 - spec.RunShare));
        var points = new List<SeriesPoint>(spec.Points);
        var level = spec.Level;
        var next = 0;
        for (var i = 0; i < spec.Points; i++)
        {
            if (next < steps.Count && steps[next].Index == i)
                level *= 1 + steps[next++].Magnitude;
            var run = runSigma * Gaussian(random);
            if (random.NextDouble() < spec.RunOutlierRate)
                run += 0.1 + 0.2 * random.NextDouble();
            var samples = new double[spec.Trials];
            for (var t = 0; t < samples.Length; t++)
            {
                var value = level * (1 + run + trialSigma * Gaussian(random));
                if (random.NextDouble() < spec.BimodalFraction)
                    value += level * spec.BimodalShift;
                if (random.NextDouble() < spec.TrialOutlierRate)
                    value *= 1.2 + 0.8 * random.NextDouble();
                samples[t] = value;
            }
            points.Add(new SeriesPoint($"c{i:D6}", samples));
        }
        return new LabelledSeries(spec, seed, points, steps);
    }

    private static int Spacing(SyntheticSeriesSpec spec, Random random) => random.Next(spec.MinSpacing, spec.MaxSpacing + 1);

    /// <summary>Box-Muller: System.Random has no normal generator, and this one is stable across runtimes.</summary>
    private static double Gaussian(Random random)
    {
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
