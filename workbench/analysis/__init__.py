"""Analysis of the case as a graph: paths, flows, ownership, structure, resolution, layout (no Qt)."""
