namespace Odyssey.Emulator.Tests;

/// <summary>
/// The tests that run a second test host in a network namespace (and the WebRTC streams in it) run one at
/// a time: several at once on a shared 2-core machine only make each slower and every timeout closer.
/// </summary>
[CollectionDefinition(Name)]
public sealed class NetworkNamespaceCollection
{
    public const string Name = "network namespace";
}
