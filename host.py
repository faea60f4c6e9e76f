"""Process-wide settings that decide much of anet's CPU time: how OpenMP's threads wait, and whether
glibc's malloc gives large freed blocks back to the kernel.

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

Large blocks. glibc serves allocations above its mmap threshold (at most 32 MiB) with fresh
mappings that the kernel zero-fills page by page on first touch, and unmaps them when they are
freed, so large activations pay their page faults again at every forward: 38,000-119,000 per bf16
forward of AssembleNet-50 at 32 x 224 x 224. Served from the heap and kept there
(:func:`keep_freed_memory`), freed blocks are reused without faults. The forward's time gain was
small and unsteady across pairs of fresh processes, with the same peak memory
(``benchmarks/inference_options.py``; docs/measurements.md, "Inference options", gives the figures); the
kernel's time on the faults is saved either way. The price: memory freed at the heap's top is kept
up to 1 GiB rather than returned, and some allocation patterns grow the heap before it settles
(tests/test_host.py's loop of one 64 MiB tensor grows it for its first rounds).
``ANET_KEEP_FREED_MEMORY=0`` leaves malloc as it is.

Import rule: no torch here; :func:`openmp_environment` must run before torch is imported.
"""

from __future__ import annotations

import functools
import os
from collections.abc import MutableMapping

__all__ = ["OPENMP_SPIN_COUNT", "keep_freed_memory", "openmp_environment"]

OPENMP_SPIN_COUNT = 2000
"""libgomp's spins before a waiting thread sleeps (see the module docstring for the measurements)."""

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # mallopt's parameter numbers (glibc's malloc.h)
_TRIM_THRESHOLD = 1 << 30  # free memory above 1 GiB at the heap's top is still given back


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


@functools.cache
def keep_freed_memory() -> bool:
    """Serve large allocations from glibc's heap and keep freed blocks there; True when in effect.

    Called by every command that runs a model (``anet.training.device.placement``). Only on glibc
    (other C libraries are left alone), once per process, and not under ``ANET_KEEP_FREED_MEMORY=0``.
    """
    if os.environ.get("ANET_KEEP_FREED_MEMORY", "1") == "0" or not _is_glibc():
        return False
    import ctypes  # here, not at the top: `anet check` imports this module and runs no model

    libc = ctypes.CDLL(None)
    return bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))


def _is_glibc() -> bool:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") is not None
    except (ValueError, OSError, AttributeError):  # a platform whose confstr does not know the name
        return False
