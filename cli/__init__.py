"""Command-line entry points: `anet` and `anetc`."""
