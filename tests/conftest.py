"""Shared fixtures; the client oracles live in tests/oracles."""
