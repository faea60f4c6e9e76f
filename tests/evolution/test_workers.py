"""The back ends with real worker processes: local processes (spawned) and Ray. Same seed, same
search, whichever back end trains; a worker process that dies has its candidate retried, and only
a candidate that keeps killing its worker is recorded as failed."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import evo_helpers
import pytest
from evo_helpers import assert_consistent, comparable, die_once, dying, run_search, synthetic

import anet.evolution.search as search_module
from anet.evolution.fitness import FitnessResult, FitnessTask, evaluate
from anet.evolution.workers import InProcess

pytestmark = pytest.mark.slow  # worker processes and a local Ray instance

CONFIG = synthetic(population=6, rounds=4, workers=2, seed=2, max_retries=1)
ONCE = frozenset({"c00008"})  # kills its worker once (round 3)
ALWAYS = "c00001"  # kills its worker every time (round 0, beside five others)
REASON = f"worker process died {CONFIG.max_retries + 1} times"


def in_process(*args, **kwargs) -> InProcess:
    return InProcess(kwargs["evaluate_fn"])


def reference(tmp_path: Path, fail: str | None = None) -> dict:
    """The search trained in this process, nothing dying; `fail` simply fails (with REASON)."""

    def evaluate_fn(task: FitnessTask) -> FitnessResult:
        return FitnessResult(task.candidate, error=REASON) if task.candidate == fail else evaluate(task)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(search_module, "make_workers", in_process)
        state = run_search(tmp_path / f"reference-{fail}", CONFIG, evaluate_fn=evaluate_fn)
    return comparable(state)


def test_local_worker_deaths_are_retried_and_only_a_repeat_killer_fails(tmp_path):
    """Local processes: the candidate whose worker died once is retried and succeeds; c00001,
    whose worker dies every time, is failed after max_retries. The candidates in flight beside it
    when workers died are not blamed: the result is the in-process search in which c00001 simply
    failed, candidate for candidate."""
    markers = tmp_path / "markers"
    markers.mkdir()
    evaluate_fn = functools.partial(dying, markers=str(markers), once=ONCE, always=frozenset({ALWAYS}))
    run = tmp_path / "run"
    state = run_search(run, CONFIG, evaluate_fn=evaluate_fn)
    assert {p.name for p in markers.iterdir()} == ONCE  # it did kill its worker
    failed = {c.id: c.reason for c in state.candidates.values() if c.status == "failed"}
    assert failed == {ALWAYS: REASON}
    assert comparable(state) == reference(tmp_path, fail=ALWAYS)
    assert_consistent(run, state, compile_files=False)


# -- Ray ---------------------------------------------------------------------------------------------


def ray_die_once(markers: str, victims: frozenset[str]):
    """die_once as a plain function (Ray's remote functions must be functions, not partials)."""

    def evaluate_fn(task: FitnessTask) -> FitnessResult:
        return die_once(task, markers=markers, victims=victims)

    return evaluate_fn


@pytest.fixture
def local_ray():
    """A local Ray instance with 2 CPUs, shut down after the test. Its workers find `evo_helpers`
    on PYTHONPATH. The Ray test is skipped only where ray cannot be imported."""
    ray = pytest.importorskip("ray", reason="ray is not installed (pip install 'anet[ray]')")
    if ray.is_initialized():  # left over by another test: ours needs its own settings
        ray.shutdown()
    here = str(Path(evo_helpers.__file__).parent)
    pythonpath = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        logging_level="ERROR",
        log_to_driver=False,
        runtime_env={"env_vars": {"PYTHONPATH": pythonpath}},
    )
    try:
        yield ray
    finally:
        ray.shutdown()


def test_ray_gives_the_same_search_and_retries_dead_workers(local_ray, tmp_path):
    """On Ray, with a candidate killing its worker once: the search completes, and it is the
    in-process search (which the local processes give too, above), candidate for candidate."""
    ray_config = CONFIG.model_copy(update={"backend": "ray"})
    markers = tmp_path / "markers"
    markers.mkdir()
    run = tmp_path / "run"
    state = run_search(run, ray_config, evaluate_fn=ray_die_once(str(markers), ONCE))
    assert {p.name for p in markers.iterdir()} == ONCE
    assert all(c.status == "evaluated" for c in state.candidates.values())
    assert comparable(state) == reference(tmp_path) | {"config": ray_config.model_dump(mode="json")}
    assert_consistent(run, state, compile_files=False)


def test_ray_measures_on_a_worker_and_says_where(local_ray):
    """A real measurement (not the synthetic stand-in) through the Ray back end: the cost names the
    device and the host that measured (here the local Ray instance's, this machine)."""
    import socket

    from anet.cost import DeployTarget
    from anet.evolution.measuring import MeasureTask
    from anet.evolution.workers import RayWorkers

    text = (Path(__file__).parents[2] / "examples" / "two_stream_late_fusion.anet").read_text()
    target = DeployTarget(frames=4, size=32, repeats=2).model_dump(mode="json")
    results = []
    RayWorkers(2).measure([MeasureTask("c00000", text, target)], results.append)
    (result,) = results
    assert result.error is None, result.error
    assert not result.cost.synthetic and result.cost.device.startswith("cpu: ") and len(result.cost.runs_ms) == 2
    assert result.cost.host == socket.gethostname()
