"""anet.host: OpenMP's waiting and glibc's handling of freed memory, as the commands set them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from anet.host import OPENMP_SPIN_COUNT, openmp_environment


def test_openmp_defaults_spin_briefly_for_libgomp_and_wait_passively_elsewhere():
    environ: dict[str, str] = {}
    openmp_environment(environ)
    assert environ == {"GOMP_SPINCOUNT": str(OPENMP_SPIN_COUNT), "OMP_WAIT_POLICY": "PASSIVE"}


@pytest.mark.parametrize("given", [{"OMP_WAIT_POLICY": "ACTIVE"}, {"GOMP_SPINCOUNT": "0"}])
def test_a_users_own_openmp_setting_wins(given):
    environ = dict(given)
    openmp_environment(environ)
    assert environ == given


def test_the_command_line_sets_them_before_torch_and_for_its_children():
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    code = "import anet.cli.main, os, sys; print(os.environ['GOMP_SPINCOUNT'], 'torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split() == [str(OPENMP_SPIN_COUNT), "False"]


# A 64 MiB tensor allocated, filled and freed, 16 times: each round's page faults show whether the
# freed block was reused (none) or unmapped and mapped afresh (one per 4 KiB page, about 16,000).
# Kept, the heap grows for the first rounds (about 8 with glibc 2.36), then settles.
FAULTS = """
import resource, torch
from anet.host import keep_freed_memory
print(keep_freed_memory())
for _ in range(16):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.empty(16 * 2**20).fill_(1.0)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.slow  # a subprocess fills 1 GiB
@pytest.mark.skipif(sys.platform != "linux" or os.confstr("CS_GNU_LIBC_VERSION") is None, reason="glibc only")
@pytest.mark.parametrize(("setting", "kept"), [("1", True), ("0", False)])
def test_freed_memory_is_reused_without_page_faults(setting, kept):
    env = os.environ | {"ANET_KEEP_FREED_MEMORY": setting}
    done = subprocess.run([sys.executable, "-c", FAULTS], capture_output=True, text=True, env=env, check=True)
    applied, *faults = done.stdout.split()
    assert applied == str(kept)
    last = [int(f) for f in faults[-4:]]
    assert all(f < 1000 for f in last) if kept else all(f > 10000 for f in last), faults
