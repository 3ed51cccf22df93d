namespace PerfCI.Core.Bisect;

/// <summary>
/// The commits a bisect searches: a good end, a bad end, and the candidates strictly between them,
/// in topological order (parents before children, so oldest first), each knowing its ancestors among
/// the candidates. On a first-parent range that is a prefix; on a DAG, a set like <c>git bisect</c>'s:
/// the ancestors of bad that are not ancestors of good.
/// </summary>
public sealed class BisectRange
{
    private readonly Dictionary<string, int> _index;

    /// <summary>Ancestors-or-self of each candidate among the candidates; null on a linear range.</summary>
    private readonly CommitSet[]? _ancestors;

    private BisectRange(string good, string bad, IReadOnlyList<string> candidates, CommitSet[]? ancestors)
    {
        Good = good;
        Bad = bad;
        Candidates = candidates;
        _ancestors = ancestors;
        _index = new Dictionary<string, int>(candidates.Count, StringComparer.Ordinal);
        for (var i = 0; i < candidates.Count; i++)
            _index[candidates[i]] = i;
    }

    public string Good { get; }

    public string Bad { get; }

    /// <summary>The commits strictly between the ends, oldest first (topological order on a DAG).</summary>
    public IReadOnlyList<string> Candidates { get; }

    /// <summary>Whether the range is one line of commits (first-parent).</summary>
    public bool IsLinear => _ancestors is null;

    /// <summary>A linear range: <c>[0]</c> is good, the last is bad, each commit the first parent of the next.</summary>
    public static BisectRange FirstParent(IReadOnlyList<string> shasGoodToBad)
    {
        ArgumentNullException.ThrowIfNull(shasGoodToBad);
        if (shasGoodToBad.Count < 2)
            throw new ArgumentException("A range needs a good and a bad commit.", nameof(shasGoodToBad));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sha in shasGoodToBad)
        {
            if (string.IsNullOrWhiteSpace(sha))
                throw new ArgumentException("A commit id is empty.", nameof(shasGoodToBad));
            if (!seen.Add(sha))
                throw new ArgumentException($"Commit {sha} appears twice in the range.", nameof(shasGoodToBad));
        }
        return new BisectRange(shasGoodToBad[0], shasGoodToBad[^1], [.. shasGoodToBad.Skip(1).Take(shasGoodToBad.Count - 2)], null);
    }

    /// <summary>
    /// A range on a full history, like <c>git bisect</c>: the candidates are the ancestors of
    /// <paramref name="bad"/> that are not ancestors of <paramref name="good"/>. Parents missing from
    /// <paramref name="commits"/> are taken as outside the range (a history cut short at good is enough).
    /// </summary>
    public static BisectRange FromDag(IReadOnlyList<BisectCommit> commits, string good, string bad)
    {
        ArgumentNullException.ThrowIfNull(commits);
        ArgumentException.ThrowIfNullOrWhiteSpace(good);
        ArgumentException.ThrowIfNullOrWhiteSpace(bad);
        var bySha = new Dictionary<string, (BisectCommit Commit, int Order)>(commits.Count, StringComparer.Ordinal);
        for (var i = 0; i < commits.Count; i++)
        {
            if (!bySha.TryAdd(commits[i].Sha, (commits[i], i)))
                throw new ArgumentException($"Commit {commits[i].Sha} appears twice in the history.", nameof(commits));
        }
        if (!bySha.ContainsKey(good))
            throw new ArgumentException($"The good commit {good} is not in the history.", nameof(good));
        if (!bySha.ContainsKey(bad))
            throw new ArgumentException($"The bad commit {bad} is not in the history.", nameof(bad));
        if (good == bad)
            throw new ArgumentException("The good and bad commits are the same.", nameof(bad));

        var goodSide = Reachable(good);
        if (goodSide.Contains(bad))
            throw new ArgumentException($"The bad commit {bad} is an ancestor of the good commit {good}.", nameof(bad));
        var inRange = Reachable(bad);
        inRange.ExceptWith(goodSide);
        inRange.Remove(bad);

        // Kahn's algorithm over the candidates; among commits ready at once, the history's own order wins.
        var remainingParents = inRange.ToDictionary(sha => sha, sha => InRangeParents(sha).Count(), StringComparer.Ordinal);
        var children = inRange.ToDictionary(sha => sha, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var sha in inRange)
        {
            foreach (var parent in InRangeParents(sha))
                children[parent].Add(sha);
        }
        var ready = new PriorityQueue<string, int>();
        foreach (var (sha, count) in remainingParents)
        {
            if (count == 0)
                ready.Enqueue(sha, bySha[sha].Order);
        }
        var ordered = new List<string>(inRange.Count);
        while (ready.TryDequeue(out var sha, out _))
        {
            ordered.Add(sha);
            foreach (var child in children[sha])
            {
                if (--remainingParents[child] == 0)
                    ready.Enqueue(child, bySha[child].Order);
            }
        }

        var position = new Dictionary<string, int>(ordered.Count, StringComparer.Ordinal);
        for (var i = 0; i < ordered.Count; i++)
            position[ordered[i]] = i;
        // Every path between two candidates stays among the candidates (a commit on it that was an
        // ancestor of good would make both ends of the path ancestors of good), so the sets close here.
        var ancestors = new CommitSet[ordered.Count];
        for (var i = 0; i < ordered.Count; i++)
        {
            var set = new CommitSet(ordered.Count);
            set.Add(i);
            foreach (var parent in InRangeParents(ordered[i]))
                set.UnionWith(ancestors[position[parent]]);
            ancestors[i] = set;
        }
        return new BisectRange(good, bad, ordered, ancestors);

        HashSet<string> Reachable(string from)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal) { from };
            var stack = new Stack<string>();
            stack.Push(from);
            while (stack.TryPop(out var sha))
            {
                foreach (var parent in bySha[sha].Commit.Parents)
                {
                    if (bySha.ContainsKey(parent) && seen.Add(parent))
                        stack.Push(parent);
                }
            }
            return seen;
        }

        IEnumerable<string> InRangeParents(string sha) => bySha[sha].Commit.Parents.Where(inRange.Contains).Distinct(StringComparer.Ordinal);
    }

    /// <summary>Whether <paramref name="sha"/> is an end or a candidate.</summary>
    public bool Contains(string sha) => sha == Good || sha == Bad || _index.ContainsKey(sha);

    internal int IndexOf(string sha) => _index.TryGetValue(sha, out var index) ? index : -1;

    /// <summary>A candidate and its ancestors among the candidates.</summary>
    internal CommitSet AncestorsOf(int candidate) =>
        _ancestors is null ? CommitSet.Prefix(Candidates.Count, candidate) : _ancestors[candidate];

    /// <summary>For each member of <paramref name="set"/>, how many members are it or its ancestors.</summary>
    internal Dictionary<int, int> AncestorCounts(CommitSet set)
    {
        var counts = new Dictionary<int, int>();
        var running = 0;
        foreach (var member in set.Members())
            counts[member] = _ancestors is null ? ++running : _ancestors[member].CountIntersection(set);
        return counts;
    }
}
