"""The use cases: each takes a store (an engine or a session) and the core rules."""
