"""The measurements in docs/measurements.md (and docs/flow.md), one module per benchmark, run from the
repository root as ``python -m benchmarks.NAME``; ``benchmarks/run_all.sh`` runs them all with the
arguments the docs quote. ``common`` holds what they share: the timer, the machine line and the
writing of tables into docs/. Not part of the installed package."""
