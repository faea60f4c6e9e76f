"""Which CPU settings make the generated AssembleNet-50 fastest, and does bf16 still train?

Settings, measured side by side in one run (interleaved, so that load changes hit all alike):

* ``fp32 eager``: the baseline;
* ``channels_last_3d``: inputs in ``torch.channels_last_3d`` order. The runtime already keeps conv
  weights and activations channels-last internally, so only the input's layout changes here;
  ``model.to(memory_format=torch.channels_last_3d)`` is not applied: it raises for the 4D
  (Conv2d) weights ("required rank 5 tensor");
* ``bf16 autocast``: ``torch.autocast("cpu", dtype=torch.bfloat16)`` around forward and loss;
* ``bf16 + channels_last``: both;
* ``inductor: ...``: ``torch.compile`` (default inductor backend) of each of the above, with the
  compile time (first call minus a steady-state call) reported separately.

Workloads:

* ``train``: one proxy training step (forward, cross-entropy with label smoothing 0.2, backward,
  momentum SGD with lr 0.05 = 3.2 * 8 / 512, weight decay 1e-4) of AssembleNet-50 at width 0.125 on
  batch 8 x 3 x 8 x 48 x 48 of ``parse_data_spec("proxy:size=48")`` (flow computed in the model).
  Every setting trains its own copy of the same initial model on the same batches (4 distinct
  batches, cycled: see ``FIT_BATCHES``), so the losses after N steps show whether bf16 still trains
  like fp32;
* ``infer``: AssembleNet-50 at width 1, eval, no grad, one 1 x 3 x 8 x 112 x 112 clip; the output's
  largest difference from fp32 eager is reported relative to the output's largest magnitude.

Ratios are fp32-eager time / setting time: above 1 is faster. This CPU's capability (printed)
matters: without AVX-512 or AMX, oneDNN has no native bf16 kernels and bf16 is expected to lose.

Run from the repository root::

    python -m benchmarks.cpu_settings [--quick] [--threads 2] [--steps 40] [--repeats 5]
                                      [--compile all|fp32|none] [--write-docs]

``--quick``: 12 training steps, 3 inference repeats, no inductor (each inductor compile of this
model took about 5 minutes on the 2-core machine; ``--quick --compile fp32`` adds the two fp32
ones). The full run compiles all 8 (about 40 minutes cold; inductor's on-disk cache makes reruns
much faster).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import os
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader

from anet.compiler import compile_file
from anet.data.spec import parse_data_spec

from .common import Table, add_docs_option, load_line, publish, seconds

ROOT = Path(__file__).resolve().parents[1]
# The training steps cycle through this many proxy batches: a model of width 0.125 learns the
# proxy task itself too slowly for a short run (the loss hardly moves in 60 steps), but it fits a
# few batches within tens of steps (fp32: 2.11 -> 0.92 in 40 steps), which shows whether a setting
# still optimises like fp32.
FIT_BATCHES = 4


@dataclass(frozen=True)
class Setting:
    name: str
    bf16: bool
    channels_last: bool
    compiled: bool

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        if self.bf16:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                yield
        else:
            yield

    def layout(self, x: Tensor) -> Tensor:
        return x.contiguous(memory_format=torch.channels_last_3d) if self.channels_last else x.contiguous()


EAGER = [
    Setting("fp32 eager", False, False, False),
    Setting("channels_last_3d", False, True, False),
    Setting("bf16 autocast", True, False, False),
    Setting("bf16 + channels_last", True, True, False),
]


def settings_for(compile_mode: str) -> list[Setting]:
    compiled = [Setting(f"inductor: {s.name}", s.bf16, s.channels_last, True) for s in EAGER]
    if compile_mode == "none":
        return EAGER
    if compile_mode == "fp32":
        return [*EAGER, compiled[0]]
    return EAGER + compiled


@dataclass
class Result:
    times: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    first: float = 0.0
    difference: float | None = None

    def steady(self) -> float:
        return statistics.median(self.times)


def training(module, settings: list[Setting], steps: int) -> dict[str, Result]:
    spec = parse_data_spec("proxy:size=48")
    data = spec.datasets()
    loader = DataLoader(data.train, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
    distinct = []
    for batch in loader:  # generated before timing: data loading is not measured
        distinct.append((batch["rgb"], batch["label"]))
        if len(distinct) == FIT_BATCHES:
            break
    batches = [distinct[i % len(distinct)] for i in range(steps)]
    torch.manual_seed(0)
    base = module.build_model(num_classes=spec.num_classes, width=0.125)
    runs = {}
    for s in settings:
        model = copy.deepcopy(base).train()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
        runner = torch.compile(model) if s.compiled else model
        runs[s.name] = (s, model, runner, optimizer, Result())
    for i, (rgb, labels) in enumerate(batches):
        for s, _model, runner, optimizer, result in runs.values():
            x = s.layout(rgb)

            def step(
                x: Tensor = x,
                labels: Tensor = labels,
                s: Setting = s,
                runner: nn.Module = runner,
                optimizer: torch.optim.Optimizer = optimizer,
                result: Result = result,
            ) -> None:
                with s.autocast():
                    logits = runner(rgb=x)
                    loss = nn.functional.cross_entropy(logits.float(), labels, label_smoothing=0.2)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                result.losses.append(loss.item())

            took = seconds(step)
            if i == 0:
                result.first = took
            elif i >= 2:  # steps 0 and 1: warm-up (compilation, oneDNN kernels, allocator)
                result.times.append(took)
    return {name: run[-1] for name, run in runs.items()}


def inference(module, settings: list[Setting], repeats: int) -> dict[str, Result]:
    torch.manual_seed(0)
    model = module.build_model(width=1.0).eval()
    rgb = torch.rand(1, 3, 8, 112, 112)
    runners = {s.name: (s, torch.compile(model) if s.compiled else model, Result()) for s in settings}
    outputs: dict[str, Tensor] = {}
    with torch.no_grad():
        for i in range(repeats + 2):
            for s, runner, result in runners.values():
                x = s.layout(rgb)

                def forward(s: Setting = s, runner: nn.Module = runner, x: Tensor = x) -> None:
                    with s.autocast():
                        outputs[s.name] = runner(x).float()

                took = seconds(forward)
                if i == 0:
                    result.first = took
                elif i >= 2:
                    result.times.append(took)
    reference = outputs["fp32 eager"]
    scale = reference.abs().max().item()
    for name, (_, _, result) in runners.items():
        result.difference = (outputs[name] - reference).abs().max().item() / scale
    return {name: run[-1] for name, run in runners.items()}


def label(setting: Setting) -> str:
    """The setting as the docs' table names it."""
    if setting.compiled:
        plain = setting.name.removeprefix("inductor: ")
        return "`torch.compile` (inductor), " + ("fp32" if plain == "fp32 eager" else plain)
    return "channels_last_3d input" if setting.name == "channels_last_3d" else setting.name


def settings_table(settings: list[Setting], train: dict[str, Result] | None, infer: dict[str, Result] | None) -> Table:
    """Per setting: median time and fp32-eager time / its time for each workload measured, and the
    training loss (mean of the last 5 steps)."""
    header = ["setting"]
    if train:
        header += ["training step", "x fp32"]
    if infer:
        header += ["inference", "x fp32"]
    if train:
        steps = len(train["fp32 eager"].losses)
        header += [f"loss, last {min(5, steps)} of {steps} steps"]
    rows = []
    for s in settings:
        row = [label(s)]
        for results in (train, infer):
            if results:
                r, base = results[s.name], results["fp32 eager"]
                row += [f"{r.steady() * 1e3:.0f} ms", f"{base.steady() / r.steady():.2f}"]
        if train:
            row.append(f"{statistics.mean(train[s.name].losses[-5:]):.4f}")
        rows.append(row)
    return Table(header, rows)


def compile_times(settings: list[Setting], train: dict[str, Result] | None, infer: dict[str, Result] | None) -> str:
    """One line per compiled setting: its first call minus a steady one, per workload ("" if none)."""
    lines = []
    for s in (s for s in settings if s.compiled):
        parts = [
            f"{r[s.name].first - r[s.name].steady():.0f} s for {what}"
            for what, r in (("the training step", train), ("inference", infer))
            if r
        ]
        lines.append(f"{label(s)} compiled in " + " and ".join(parts) + ".")
    return " ".join(lines)


def print_results(settings: list[Setting], train: dict[str, Result] | None, infer: dict[str, Result] | None) -> None:
    header = f"{'setting':32}"
    if train:
        header += f"{'train ms':>10}{'x fp32':>8}{'compile s':>10}{'loss first':>11}{'loss last5':>11}"
    if infer:
        header += f"{'infer ms':>10}{'x fp32':>8}{'compile s':>10}{'rel diff':>10}"
    print(header)
    for s in settings:
        line = f"{s.name:32}"
        if train:
            r, base = train[s.name], train["fp32 eager"]
            compile_s = f"{r.first - r.steady():10.1f}" if s.compiled else f"{'':10}"
            last = statistics.mean(r.losses[-5:])
            line += (
                f"{r.steady() * 1e3:10.1f}{base.steady() / r.steady():8.2f}{compile_s}{r.losses[0]:11.4f}{last:11.4f}"
            )
        if infer:
            r, base = infer[s.name], infer["fp32 eager"]
            compile_s = f"{r.first - r.steady():10.1f}" if s.compiled else f"{'':10}"
            line += f"{r.steady() * 1e3:10.1f}{base.steady() / r.steady():8.2f}{compile_s}{r.difference:10.1e}"
        print(line)
    if train:
        fp32 = statistics.mean(train["fp32 eager"].losses[-5:])
        bf16 = statistics.mean(train["bf16 autocast"].losses[-5:])
        print(
            f"bf16 training: mean loss of the last 5 steps {bf16:.4f} vs fp32 {fp32:.4f} "
            f"(difference {bf16 - fp32:+.4f}; first-step loss {train['fp32 eager'].losses[0]:.4f})"
        )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="12 steps, 3 repeats, no inductor unless --compile")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=None, help="training steps per setting (default 40, quick 12)")
    parser.add_argument("--repeats", type=int, default=None, help="timed inference runs (default 5, quick 3)")
    parser.add_argument(
        "--compile", choices=["all", "fp32", "none"], default=None, help="inductor variants (default: all; quick: none)"
    )
    parser.add_argument("--workload", choices=["train", "infer", "both"], default="both")
    parser.add_argument("--file", default=str(ROOT / "examples" / "assemblenet50.anet"))
    add_docs_option(parser, "cpu_settings")
    args = parser.parse_args()
    if (args.steps or (12 if args.quick else 40)) < 4:
        parser.error("--steps must be at least 4 (2 warm-up steps)")
    return args


def main() -> None:
    args = parse_args()
    steps = args.steps or (12 if args.quick else 40)
    repeats = args.repeats or (3 if args.quick else 5)
    compile_mode = args.compile or ("none" if args.quick else "all")
    torch.set_num_threads(args.threads)
    settings = settings_for(compile_mode)
    module = compile_file(args.file)
    print(
        f"{Path(args.file).name}; torch {torch.__version__}; {torch.get_num_threads()} threads; CPU capability "
        f"{torch.backends.cpu.get_cpu_capability()}; inductor variants: {compile_mode}"
        f"{'; QUICK' if args.quick else ''}; {load_line()}"
    )
    train = infer = None
    if args.workload in ("train", "both"):
        print(
            f"train: proxy:size=48, width 0.125, batch 8 x 3 x 8 x 48 x 48, {steps} steps per setting "
            f"cycling {FIT_BATCHES} batches (time: median of steps 3..N), SGD lr 0.05 momentum 0.9, "
            "flow computed in the model",
            flush=True,
        )
        train = training(module, settings, steps)
    if args.workload in ("infer", "both"):
        print(
            f"infer: width 1.0, 1 x 3 x 8 x 112 x 112, eval, no grad, median of {repeats} runs after 2 warm-ups",
            flush=True,
        )
        infer = inference(module, settings, repeats)
    print_results(settings, train, infer)
    print()
    body = "\n\n".join(
        filter(None, [settings_table(settings, train, infer).markdown(), compile_times(settings, train, infer)])
    )
    publish(args, "cpu_settings", body)


if __name__ == "__main__":
    main()
