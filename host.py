"""How OpenMP's worker threads wait: the process-wide setting that decides much of anet's CPU time.

PyTorch's CPU kernels run on OpenMP threads, and anet runs many short kernels back to back on few
cores (a clip's layers, the flow layer's loop of elementwise passes). Between two kernels a thread
either spins or sleeps, and neither default fits:

* spinning for long (libgomp's default, about 300,000 spins) makes small models crawl when other
  processes share the cores: three proxy trainings side by side took 15 s for 10 steps each;
* never spinning (``OMP_WAIT_POLICY=PASSIVE``, anet's setting until it was measured) puts every
  thread to sleep between kernels microseconds apart: one proxy training alone took 2.4 s instead
  of 0.9 s, and AssembleNet-50's bf16 forward at 32 x 224 x 224 1.26 s instead of 0.98 s;
* a short spin (``GOMP_SPINCOUNT=2000``, tens of microseconds) is nearly as fast as the long one
  alone (proxy 0.98 s against 0.89 s, forward 1.06 s against 0.98 s) and between the two side by
  side (8.0 s; passive 5.9 s).

Measured on 2 cores (AMD EPYC, AVX512_BF16) by ``benchmarks/openmp_wait.py --full``, which measures
the three on the machine at hand.

Import rule: no torch here; :func:`openmp_environment` must run before torch is imported.
"""

from __future__ import annotations

from collections.abc import MutableMapping

__all__ = ["OPENMP_SPIN_COUNT", "openmp_environment"]

OPENMP_SPIN_COUNT = 2000
"""libgomp's spins before a waiting thread sleeps (see the module docstring for the measurements)."""


def openmp_environment(environ: MutableMapping[str, str]) -> None:
    """Short spinning for libgomp (PyTorch's OpenMP on x86 Linux), passive waiting for the others.

    libgomp takes ``GOMP_SPINCOUNT`` over ``OMP_WAIT_POLICY``, so both can be set; other OpenMP
    runtimes (LLVM's, on macOS and ARM) know only the policy. A user's own setting of either wins.
    Processes started from this one inherit it.
    """
    if "OMP_WAIT_POLICY" in environ or "GOMP_SPINCOUNT" in environ:
        return
    environ["GOMP_SPINCOUNT"] = str(OPENMP_SPIN_COUNT)
    environ["OMP_WAIT_POLICY"] = "PASSIVE"
