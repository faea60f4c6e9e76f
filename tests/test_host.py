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
