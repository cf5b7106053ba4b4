// The shared test helpers (repository root, external processes, network namespaces) in every test project.
global using Odyssey.Tests;
