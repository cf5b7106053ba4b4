using System.Text.Json;

namespace Odyssey.Pipeline;

/// <summary>
/// Reads the "links" array (chain strings and link objects), resolves every step to a port, and then
/// checks the graph as a whole: duplicate links, payload types, unconnected ports and cycles.
/// </summary>
internal sealed class LinkReader(PipelineReader reader)
{
    private const string Arrow = "->";
    private const string LinksPath = "$.links";
    private static readonly string[] LinkProperties = ["from", "to", "chain", "capacity", "full"];

    private readonly List<LinkDefinition> _links = [];
    private readonly Dictionary<(PortAddress From, PortAddress To), string> _firstPathOf = [];

    /// <summary>One step of a chain: "blur" or "blur.out".</summary>
    private readonly record struct Step(string Block, string? Port, string Text);

    /// <summary>Reads every link; graph checks run only when the array itself could be read.</summary>
    public List<LinkDefinition> Read(JsonElement? links)
    {
        if (links is not { } array)
        {
            return _links;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            reader.Add(PipelineRules.WrongType, LinksPath, $"\"links\" must be an array of links, not {JsonPaths.Describe(array)}.");
            return _links;
        }

        if (!reader.HasBlocks)
        {
            return _links;
        }

        var index = 0;
        foreach (var link in array.EnumerateArray())
        {
            ReadLink(link, JsonPaths.Index(LinksPath, index), index);
            index++;
        }

        CheckConnections();
        CheckCycles();
        return _links;
    }

    private void ReadLink(JsonElement link, string path, int index)
    {
        if (link.ValueKind == JsonValueKind.String)
        {
            var text = link.GetString()!;
            if (ParseChain(text, path) is { } steps)
            {
                Connect(steps, text, path, reader.DefaultCapacity, reader.DefaultFull);
            }

            return;
        }

        if (link.ValueKind != JsonValueKind.Object)
        {
            reader.Add(PipelineRules.WrongType, path, $"link {index} must be a chain string such as \"a -> b\" or an object, not {JsonPaths.Describe(link)}.");
            return;
        }

        var subject = $"link {index}";
        var members = reader.ReadMembers(link, path, subject, LinkProperties);
        var capacity = reader.DefaultCapacity;
        var full = reader.DefaultFull;
        if (members.TryGetValue("capacity", out var c) && reader.ReadCapacity(c.Value, path + ".capacity", $"the capacity of {subject}") is { } readCapacity)
        {
            capacity = readCapacity;
        }

        if (members.TryGetValue("full", out var f) && reader.ReadFull(f.Value, path + ".full", $"the full mode of {subject}") is { } readFull)
        {
            full = readFull;
        }

        var hasFrom = members.TryGetValue("from", out var from);
        var hasTo = members.TryGetValue("to", out var to);
        if (members.TryGetValue("chain", out var chain))
        {
            if (hasFrom || hasTo)
            {
                reader.Add(PipelineRules.InvalidLink, path, $"{subject} has both \"chain\" and \"from\"/\"to\"; use one form.");
            }
            else if (chain.Value.ValueKind != JsonValueKind.String)
            {
                reader.Add(PipelineRules.WrongType, path + ".chain", $"the chain of {subject} must be a string such as \"a -> b\", not {JsonPaths.Describe(chain.Value)}.");
            }
            else if (ParseChain(chain.Value.GetString()!, path) is { } steps)
            {
                Connect(steps, chain.Value.GetString()!, path, capacity, full);
            }

            return;
        }

        if (!hasFrom || !hasTo)
        {
            var missing = hasFrom ? "has \"from\" but no \"to\"" : hasTo ? "has \"to\" but no \"from\"" : "needs \"from\" and \"to\", or a \"chain\"";
            reader.Add(PipelineRules.MissingProperty, path, $"{subject} {missing}.");
            return;
        }

        var fromStep = ReadEnd(from.Value, path + ".from", $"the \"from\" of {subject}");
        var toStep = ReadEnd(to.Value, path + ".to", $"the \"to\" of {subject}");
        if (fromStep is { } source && toStep is { } target)
        {
            Connect([source, target], $"{source.Text} -> {target.Text}", path, capacity, full);
        }
    }

    private Step? ReadEnd(JsonElement value, string path, string subject)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            reader.Add(PipelineRules.WrongType, path, $"{subject} must be a string such as \"blur\" or \"blur.out\", not {JsonPaths.Describe(value)}.");
            return null;
        }

        var text = value.GetString()!.Trim();
        if (ParseStep(text) is { } step)
        {
            return step;
        }

        reader.Add(PipelineRules.InvalidLink, path, $"{subject} is \"{JsonPaths.Cut(text)}\", which is not a block name or \"block.port\".");
        return null;
    }

    /// <summary>Splits "a -> b.in -> c" into steps; null (with every syntax problem reported) when it is not a chain.</summary>
    private List<Step>? ParseChain(string text, string path)
    {
        var quoted = JsonPaths.Cut(text);
        var parts = text.Split(Arrow);
        if (parts.Length < 2)
        {
            reader.Add(PipelineRules.InvalidLink, path, $"link \"{quoted}\" has no arrow; write it as \"from -> to\".");
            return null;
        }

        var steps = new List<Step>(parts.Length);
        var valid = true;
        for (var k = 0; k < parts.Length; k++)
        {
            var part = parts[k].Trim();
            if (part.Length == 0)
            {
                reader.Add(PipelineRules.InvalidLink, path, $"link \"{quoted}\" has an empty step; every \"->\" needs a block on each side.");
                return null;
            }

            if (ParseStep(part) is not { } step)
            {
                reader.Add(PipelineRules.InvalidLink, path, $"step \"{JsonPaths.Cut(part)}\" of link \"{quoted}\" is not a block name or \"block.port\".");
                valid = false;
                continue;
            }

            if (step.Port is not null && k > 0 && k < parts.Length - 1)
            {
                reader.Add(PipelineRules.InvalidLink, path, $"step \"{part}\" of link \"{quoted}\" names a port in the middle of a chain; only the first and last steps may name one.");
                valid = false;
                continue;
            }

            steps.Add(step);
        }

        return valid ? steps : null;
    }

    private static Step? ParseStep(string text)
    {
        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var block = dot < 0 ? text : text[..dot];
        var port = dot < 0 ? null : text[(dot + 1)..];
        return PipelineReader.IsValidName(block) && (port is null || PipelineReader.IsValidName(port)) ? new Step(block, port, text) : null;
    }

    /// <summary>Resolves each step's ports and adds one link per arrow whose both ends resolved.</summary>
    private void Connect(List<Step> steps, string text, string path, int capacity, FullMode full)
    {
        var count = steps.Count;
        var blocks = new BlockEntry?[count];
        var outputs = new PortDescriptor?[count];
        var inputs = new PortDescriptor?[count];
        for (var k = 0; k < count; k++)
        {
            var step = steps[k];
            if (!reader.BlocksByName.TryGetValue(step.Block, out var block))
            {
                reader.Add(PipelineRules.UnknownBlock, path, $"link \"{JsonPaths.Cut(text)}\" names block \"{step.Block}\", which is not defined{NearNames.Hint(step.Block, reader.BlocksByName.Keys)}");
                continue;
            }

            block.Mentioned = true;
            blocks[k] = block;
            if (block.Descriptor is null)
            {
                continue;
            }

            if (k < count - 1)
            {
                outputs[k] = Resolve(block, step, PortDirection.Output, path);
            }

            if (k > 0)
            {
                inputs[k] = Resolve(block, step, PortDirection.Input, path);
            }
        }

        for (var k = 0; k < count - 1; k++)
        {
            if (outputs[k] is { } output && inputs[k + 1] is { } input)
            {
                Add(blocks[k]!, output, blocks[k + 1]!, input, path, capacity, full);
            }
            else
            {
                // One end failed and was reported; the other end's "not connected" would only repeat it.
                blocks[k]?.HasPortProblem = true;
                blocks[k + 1]?.HasPortProblem = true;
            }
        }
    }

    private PortDescriptor? Resolve(BlockEntry block, Step step, PortDirection direction, string path)
    {
        var descriptor = block.Descriptor!;
        var isOutput = direction == PortDirection.Output;
        if (step.Port is { } name)
        {
            if (descriptor.FindPort(name, direction) is { } port)
            {
                return port;
            }

            if (descriptor.FindPort(name, isOutput ? PortDirection.Input : PortDirection.Output) is not null)
            {
                reader.Add(PipelineRules.InvalidLink, path, isOutput
                    ? $"\"{step.Text}\" is an input, so it cannot be the source of a link."
                    : $"\"{step.Text}\" is an output, so it cannot receive a link.");
                return null;
            }

            var names = PortNames(descriptor, direction);
            var list = names.Count == 0 ? $"it has no {Word(direction)} ports" : $"its {Word(direction)} ports are {JsonPaths.QuoteList(names)}";
            reader.Add(PipelineRules.UnknownPort, path, $"{block.Label} has no {Word(direction)} port \"{name}\"; {list}.");
            return null;
        }

        var candidates = PortNames(descriptor, direction);
        if (candidates.Count == 1)
        {
            return descriptor.FindPort(candidates[0], direction);
        }

        if (candidates.Count == 0)
        {
            reader.Add(PipelineRules.UnknownPort, path, isOutput
                ? $"{block.Label} has no output port, so it cannot be the source of a link."
                : $"{block.Label} has no input port, so it cannot receive a link.");
        }
        else
        {
            reader.Add(PipelineRules.AmbiguousPort, path, $"{block.Label} has several {Word(direction)} ports ({JsonPaths.QuoteList(candidates)}); name one, as in \"{block.Name}.{candidates[0]}\".");
        }

        return null;
    }

    private void Add(BlockEntry fromBlock, PortDescriptor output, BlockEntry toBlock, PortDescriptor input, string path, int capacity, FullMode full)
    {
        var from = new PortAddress(fromBlock.Name, output.Name);
        var to = new PortAddress(toBlock.Name, input.Name);
        if (!_firstPathOf.TryAdd((from, to), path))
        {
            reader.Add(PipelineRules.DuplicateLink, path, $"the link from \"{from}\" to \"{to}\" is declared twice; the first is at {_firstPathOf[(from, to)]}.");
            return;
        }

        if (!input.Payload.IsAssignableFrom(output.Payload))
        {
            reader.Add(PipelineRules.TypeMismatch, path, $"output \"{from}\" produces {output.Payload.Name} but input \"{to}\" accepts {input.Payload.Name}.");
            fromBlock.HasPortProblem = true;
            toBlock.HasPortProblem = true;
            return;
        }

        _links.Add(new LinkDefinition { From = from, To = to, Capacity = capacity, Full = full, JsonPath = path });
    }

    private void CheckConnections()
    {
        var linkedInputs = new HashSet<PortAddress>();
        var linkedOutputs = new HashSet<PortAddress>();
        foreach (var link in _links)
        {
            linkedOutputs.Add(link.From);
            linkedInputs.Add(link.To);
        }

        foreach (var block in reader.Blocks)
        {
            if (!block.Mentioned)
            {
                reader.Add(PipelineRules.UnconnectedPort, block.Path, $"{block.Label} is not linked to anything.");
                continue;
            }

            if (block.Descriptor is null || block.HasPortProblem)
            {
                continue;
            }

            foreach (var port in block.Descriptor.Ports)
            {
                var linked = port.Direction == PortDirection.Input ? linkedInputs : linkedOutputs;
                if (port.Required && !linked.Contains(new PortAddress(block.Name, port.Name)))
                {
                    reader.Add(PipelineRules.UnconnectedPort, block.Path, $"{Word(port.Direction)} \"{port.Name}\" of {block.Label} is not connected.");
                }
            }
        }
    }

    /// <summary>
    /// Reports one cycle per strongly connected group of blocks (Tarjan), at the link that closes it.
    /// Links into feedback inputs are left out: a loop through one is declared, not a mistake.
    /// </summary>
    private void CheckCycles()
    {
        var edges = new Dictionary<string, List<LinkDefinition>>(StringComparer.Ordinal);
        foreach (var link in _links)
        {
            if (IsFeedback(link.To))
            {
                continue;
            }

            if (!edges.TryGetValue(link.From.Block, out var list))
            {
                edges[link.From.Block] = list = [];
            }

            list.Add(link);
        }

        var groups = new StronglyConnected(reader.Blocks, edges).Groups();
        groups.Sort((a, b) => a[0].Index.CompareTo(b[0].Index));
        foreach (var group in groups)
        {
            var members = new HashSet<string>(group.Select(b => b.Name), StringComparer.Ordinal);
            var start = group[0].Name;
            if (group.Count == 1 && !(edges.TryGetValue(start, out var own) && own.Exists(l => l.To.Block == start)))
            {
                continue;
            }

            var (cycle, closing) = ShortestCycle(start, members, edges);
            reader.Add(PipelineRules.Cycle, closing.JsonPath, $"the links form a cycle: {string.Join(" -> ", cycle)}; data must flow one way, from sources to sinks.");
        }
    }

    private bool IsFeedback(PortAddress to) =>
        reader.BlocksByName.TryGetValue(to.Block, out var block)
        && block.Descriptor?.FindPort(to.Port, PortDirection.Input) is { Feedback: true };

    // Breadth-first from the group's first block back to itself, following links in file order, so
    // the reported cycle is short and the same on every run.
    private static (List<string> Cycle, LinkDefinition Closing) ShortestCycle(string start, HashSet<string> members, Dictionary<string, List<LinkDefinition>> edges)
    {
        var cameBy = new Dictionary<string, LinkDefinition>(StringComparer.Ordinal);
        var queue = new Queue<string>();
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            if (!edges.TryGetValue(current, out var outgoing))
            {
                continue;
            }

            foreach (var link in outgoing)
            {
                var next = link.To.Block;
                if (next == start)
                {
                    // Walk back to the start, then turn the walk around.
                    var cycle = new List<string> { start };
                    for (var at = current; at != start; at = cameBy[at].From.Block)
                    {
                        cycle.Add(at);
                    }

                    cycle.Add(start);
                    cycle.Reverse();
                    return (cycle, link);
                }

                if (members.Contains(next) && cameBy.TryAdd(next, link))
                {
                    queue.Enqueue(next);
                }
            }
        }

        throw new InvalidOperationException($"block \"{start}\" is in a strongly connected group but no cycle leads back to it");
    }

    private static List<string> PortNames(BlockDescriptor descriptor, PortDirection direction)
    {
        var names = new List<string>();
        foreach (var port in descriptor.Ports)
        {
            if (port.Direction == direction)
            {
                names.Add(port.Name);
            }
        }

        return names;
    }

    private static string Word(PortDirection direction) => direction == PortDirection.Input ? "input" : "output";

    /// <summary>Tarjan's algorithm over the block graph; each group comes back sorted by file order.</summary>
    private sealed class StronglyConnected(IReadOnlyList<BlockEntry> blocks, Dictionary<string, List<LinkDefinition>> edges)
    {
        private readonly Dictionary<string, BlockEntry> _byName = blocks.ToDictionary(b => b.Name, StringComparer.Ordinal);
        private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _low = new(StringComparer.Ordinal);
        private readonly HashSet<string> _onStack = new(StringComparer.Ordinal);
        private readonly Stack<string> _stack = new();
        private readonly List<List<BlockEntry>> _groups = [];
        private int _next;

        public List<List<BlockEntry>> Groups()
        {
            foreach (var block in blocks)
            {
                if (!_index.ContainsKey(block.Name))
                {
                    Visit(block.Name);
                }
            }

            return _groups;
        }

        // Iterative, with an explicit stack of (block, next edge): a file may chain thousands of
        // blocks, and recursion that deep would overflow the thread's stack instead of reporting.
        private void Visit(string root)
        {
            var work = new Stack<(string Name, int Edge)>();
            Enter(root);
            work.Push((root, 0));
            while (work.Count > 0)
            {
                var (name, edge) = work.Pop();
                var outgoing = edges.TryGetValue(name, out var list) ? list : null;
                if (outgoing is not null && edge < outgoing.Count)
                {
                    work.Push((name, edge + 1));
                    var next = outgoing[edge].To.Block;
                    if (!_index.ContainsKey(next))
                    {
                        Enter(next);
                        work.Push((next, 0));
                    }
                    else if (_onStack.Contains(next))
                    {
                        _low[name] = Math.Min(_low[name], _index[next]);
                    }

                    continue;
                }

                // All edges of this block are done: fold its low-link into its caller, then maybe close a group.
                if (work.Count > 0)
                {
                    var caller = work.Peek().Name;
                    _low[caller] = Math.Min(_low[caller], _low[name]);
                }

                if (_low[name] == _index[name])
                {
                    CloseGroup(name);
                }
            }
        }

        private void Enter(string name)
        {
            _index[name] = _low[name] = _next++;
            _stack.Push(name);
            _onStack.Add(name);
        }

        private void CloseGroup(string name)
        {
            var group = new List<BlockEntry>();
            string member;
            do
            {
                member = _stack.Pop();
                _onStack.Remove(member);
                group.Add(_byName[member]);
            }
            while (member != name);

            group.Sort((a, b) => a.Index.CompareTo(b.Index));
            _groups.Add(group);
        }
    }
}
