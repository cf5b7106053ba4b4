namespace Acme.EdgeDensity;
