"""`anet runs show`'s report and fitness.png: on a real synthetic search (the front, the
re-evaluation and the best's figure) and on states replayed from hand-written events (what is
shown for a run without costs, rejections, an mnas run)."""

from __future__ import annotations

import io

import pytest
from evo_helpers import run_search, synthetic
from rich.console import Console

from anet.cost.record import Cost
from anet.evolution import EvolutionConfig
from anet.evolution.events import Created, Evaluated, Measured, Population, Rejected, Retrained, Start
from anet.evolution.objectives import front
from anet.evolution.report import figure, plot, show
from anet.evolution.state import SearchState

PNG = b"\x89PNG\r\n\x1a\n"


def report(state: SearchState) -> str:
    out = io.StringIO()
    show(state, Console(file=out, width=200, color_system=None))
    return out.getvalue()


def cost(latency_ms: float, gflops: float = 1.0) -> Cost:
    runs = (latency_ms * 0.98, latency_ms, latency_ms * 1.05)
    return Cost(
        latency_ms=latency_ms,
        runs_ms=runs,
        params=1000,
        flops=round(gflops * 1e9),
        device="cpu: test",
        precision="fp32",
        host="here",
    )


def replayed(config: EvolutionConfig, results: dict[str, tuple[float | None, Cost | None]], *extra) -> SearchState:
    """A run whose candidates c00001.. got these (fitness, cost): fitness None means rejected."""
    events = [Start(config=config.model_dump(mode="json"))]
    for cid, (fitness, measured) in results.items():
        events.append(Created(id=cid, round=0, parent=None, hash=cid, text="", mutations=()))
        if measured is not None:
            events.append(Measured(id=cid, cost=measured))
        if fitness is None:
            events.append(Rejected(id=cid, reason=f"latency {measured.latency_ms:g} ms over --max-latency 10 ms"))
        else:
            events.append(Evaluated(id=cid, fitness=fitness, metrics={}, weights={}))
    trained = [cid for cid, (fitness, _) in results.items() if fitness is not None]
    return SearchState.replay([*events, Population(round=0, members=trained), *extra])


@pytest.fixture(scope="module")
def pareto_run(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    run = tmp_path_factory.mktemp("pareto") / "run"
    config = synthetic(objective="pareto", population=6, rounds=10, reevaluate=2, seed=3)
    return run, run_search(run, config)


def test_a_reevaluated_pareto_run_shows_its_front_and_the_winners_curse(pareto_run):
    _, state = pareto_run
    text = report(state)
    assert "front: fitness against latency at 32x224 on synthetic" in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("front:"))
    table = "\n".join(lines[start : start + 4 + len(front(state))])
    for c in front(state):  # every member of the front, fastest first, with its latency and GFLOPs
        assert c.id in table and f"{c.cost.latency_ms:.4g} ± " in table and f"{c.cost.gflops:.4g}" in table
    ids = [c.id for c in front(state)]
    assert [i for i in (line.split()[1] for line in table.splitlines() if "│ c" in line)] == ids

    retrained = [c for c in state.candidates.values() if c.retrained]
    assert len(retrained) == 2
    assert "re-evaluation with fresh seeds" in text
    for c in retrained:
        difference = f"{c.retrained_mean - c.fitness:+.4f}"
        row = next(line for line in lines if line.startswith(f"│ {c.id}") and difference in line)
        assert f"{c.fitness:.4f}" in row and f"{c.retrained_mean:.4f} ± {c.retrained_se:.4f} (3)" in row
    assert "over 2 re-evaluated candidates" in text
    best = state.best()
    assert best in retrained and best.retrained_mean == max(c.retrained_mean for c in retrained)
    assert f"best: {best.id} (round {best.round}) by re-evaluated mean {best.retrained_mean:.4f}" in text


def test_the_population_table_gains_latency_and_gflops_when_measured():
    config = EvolutionConfig(fitness="synthetic", objective="pareto")
    measured = report(replayed(config, {"c00001": (1.2, cost(31.25, 2.5))}))
    header = next(line for line in measured.splitlines() if "candidate" in line and "mutations" in line)
    assert "latency ms" in header and "GFLOPs" in header
    assert "31.25" in measured and "2.5" in measured
    unmeasured = report(replayed(EvolutionConfig(fitness="synthetic", measure=False), {"c00001": (1.2, None)}))
    assert "latency" not in unmeasured and "front" not in unmeasured and "re-evaluation" not in unmeasured
    assert "best: c00001 (round 0) by search fitness 1.2000" in unmeasured


def test_rejected_candidates_are_counted_and_the_first_few_named():
    config = EvolutionConfig(fitness="synthetic", max_latency=10)
    results = {"c00001": (1.0, cost(5))} | {f"c0000{k}": (None, cost(10 + k)) for k in range(2, 7)}
    text = report(replayed(config, results))
    assert "1 trained, 0 failed, 5 rejected" in text
    line = next(line for line in text.splitlines() if line.startswith("rejected"))
    assert line.startswith("rejected 5 over budget, never trained (c00002: latency 12 ms over --max-latency 10 ms")
    assert "c00004" in line and "c00005" not in line and "and 2 more" in line


def test_an_mnas_run_says_its_best_was_chosen_by_the_reward():
    config = EvolutionConfig(fitness="synthetic", objective="mnas", latency_target=10)
    state = replayed(config, {"c00001": (1.0, cost(5)), "c00002": (1.02, cost(40))})
    reward = 1.0 * (5 / 10) ** -0.07  # faster than the target: the reward exceeds the fitness
    assert f"best: c00001 (round 0) by mnas reward {reward:.4f} (fitness 1.0000, latency 5 ms)" in report(state)


def test_a_failed_retraining_is_counted_and_left_out_of_the_mean():
    config = EvolutionConfig(fitness="synthetic", objective="pareto", reevaluate=1)
    retrained = [
        Retrained(id="c00001", seed=1, fitness=0.9),
        Retrained(id="c00001", seed=2, fitness=1.1),
        Retrained(id="c00001", seed=3, reason="out of memory"),
    ]
    state = replayed(config, {"c00001": (1.2, cost(5))}, *retrained)
    row = next(line for line in report(state).splitlines() if line.startswith("│ c00001") and "-0.2000" in line)
    assert "1.0000 ± 0.1000 (2)" in row and row.rstrip("│ ").endswith("1")


def test_the_plot_has_a_latency_panel_only_when_costs_were_measured(pareto_run, tmp_path):
    _, state = pareto_run
    references = [("AssembleNet-50", 2500.0, 1.5)]
    fig = figure(state, references=references)
    assert len(fig.axes) == 2
    panel = fig.axes[1]
    assert panel.get_xscale() == "log"
    (step,) = [line for line in panel.get_lines() if line.get_label() == "front"]
    assert list(step.get_xdata()) == [c.cost.latency_ms for c in front(state)]
    assert [t.get_text() for t in panel.texts] == ["AssembleNet-50"]
    dots = panel.collections[0].get_offsets()
    assert len(dots) == sum(c.status == "evaluated" for c in state.candidates.values())
    assert plot(state, tmp_path / "measured.png").read_bytes().startswith(PNG)

    unmeasured = replayed(EvolutionConfig(fitness="synthetic", measure=False), {"c00001": (1.2, None)})
    assert len(figure(unmeasured).axes) == 1
    assert plot(unmeasured, tmp_path / "unmeasured.png").read_bytes().startswith(PNG)


def test_rejected_candidates_are_not_plotted():
    config = EvolutionConfig(fitness="synthetic", max_latency=10)
    state = replayed(config, {"c00001": (1.0, cost(5)), "c00002": (0.8, cost(8)), "c00003": (None, cost(20))})
    dots = figure(state).axes[1].collections[0].get_offsets()
    assert sorted(x for x, _ in dots) == [5, 8]
