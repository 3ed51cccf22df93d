using System.Numerics;

namespace PerfCI.Core.Bisect;

/// <summary>
/// A set of candidate indexes as a bit array: bisecting a DAG intersects ancestor sets at every step,
/// and a thousand candidates are sixteen words.
/// </summary>
internal sealed class CommitSet
{
    private readonly ulong[] _words;

    public CommitSet(int capacity) => (_words, Capacity) = (new ulong[(capacity + 63) / 64], capacity);

    private CommitSet(ulong[] words, int capacity) => (_words, Capacity) = (words, capacity);

    public int Capacity { get; }

    public static CommitSet All(int capacity) => Prefix(capacity, capacity - 1);

    /// <summary>The indexes 0 to <paramref name="last"/> inclusive: a commit and its ancestors on a linear history.</summary>
    public static CommitSet Prefix(int capacity, int last)
    {
        var set = new CommitSet(capacity);
        var full = (last + 1) / 64;
        for (var i = 0; i < full; i++)
            set._words[i] = ulong.MaxValue;
        var rest = (last + 1) % 64;
        if (rest > 0)
            set._words[full] = (1UL << rest) - 1;
        return set;
    }

    public bool Contains(int index) => (_words[index >> 6] & (1UL << (index & 63))) != 0;

    public void Add(int index) => _words[index >> 6] |= 1UL << (index & 63);

    public void Remove(int index) => _words[index >> 6] &= ~(1UL << (index & 63));

    public CommitSet Clone() => new((ulong[])_words.Clone(), Capacity);

    public void UnionWith(CommitSet other)
    {
        for (var i = 0; i < _words.Length; i++)
            _words[i] |= other._words[i];
    }

    public void IntersectWith(CommitSet other)
    {
        for (var i = 0; i < _words.Length; i++)
            _words[i] &= other._words[i];
    }

    public void ExceptWith(CommitSet other)
    {
        for (var i = 0; i < _words.Length; i++)
            _words[i] &= ~other._words[i];
    }

    public int Count
    {
        get
        {
            var count = 0;
            foreach (var word in _words)
                count += BitOperations.PopCount(word);
            return count;
        }
    }

    public int CountIntersection(CommitSet other)
    {
        var count = 0;
        for (var i = 0; i < _words.Length; i++)
            count += BitOperations.PopCount(_words[i] & other._words[i]);
        return count;
    }

    public bool IsEmpty => Array.TrueForAll(_words, w => w == 0);

    /// <summary>The members in ascending order.</summary>
    public IEnumerable<int> Members()
    {
        for (var w = 0; w < _words.Length; w++)
        {
            var word = _words[w];
            while (word != 0)
            {
                var bit = BitOperations.TrailingZeroCount(word);
                yield return w * 64 + bit;
                word &= word - 1;
            }
        }
    }
}
