"""What AssembleNet-50 does on a CUDA GPU: times and peak memory of, in bf16 autocast,

* the forward of one batch of 32 x 224 x 224 clips (flow computed in the network),
* a training step (forward, cross-entropy, backward, momentum SGD),
* the flow layer alone on the same clips,
* the forward of the `torch.compile`d model (inductor; its compile time apart),
* a training step under DistributedDataParallel in 2 processes (torch.multiprocessing spawn; NCCL
  with a GPU per process, or, on a machine with one GPU, both processes on it over Gloo, which NCCL
  refuses).

Without a CUDA device it says so and exits 0: nothing else in anet needs a GPU. ``--dry-run`` runs
every part on the CPU at a tiny size (Gloo, and `torch.compile` with the "eager" backend unless
``--compile-backend`` says otherwise) so that the code path is tested without a GPU.

Run from the repository root::

    python -m benchmarks.gpu_check [--batch 8] [--frames 32] [--size 224] [--repeats 5]
    python -m benchmarks.gpu_check --dry-run
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn

from anet.compiler import compile_file

ROOT = Path(__file__).resolve().parents[1]
A50 = ROOT / "examples" / "assemblenet50.anet"


@dataclass(frozen=True)
class Setup:
    file: str
    device: str
    batch: int
    frames: int
    size: int
    width: float | None
    repeats: int
    compile_backend: str
    compiled: bool = True
    classes: int = 339

    def clip(self) -> torch.Tensor:
        return torch.rand(self.batch, 3, self.frames, self.size, self.size, device=self.device)


def synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)


def reset_peak(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: str) -> str:
    if not device.startswith("cuda"):
        return "-"
    return f"{torch.cuda.max_memory_allocated(device) / 2**30:.2f} GiB"


def measure(setup: Setup, fn: Callable[[], object]) -> tuple[float, float, str]:
    """(first call, median of the next `repeats`, peak memory) in seconds."""
    reset_peak(setup.device)
    synchronize(setup.device)
    start = time.perf_counter()
    fn()
    synchronize(setup.device)
    first = time.perf_counter() - start
    times = []
    for _ in range(setup.repeats):
        start = time.perf_counter()
        fn()
        synchronize(setup.device)
        times.append(time.perf_counter() - start)
    return first, statistics.median(times), peak_gib(setup.device)


def report(name: str, first: float, steady: float, memory: str) -> None:
    print(f"{name:<34} {steady * 1e3:10.1f} ms   first {first * 1e3:10.1f} ms   peak {memory}", flush=True)


def training_step(model: nn.Module, optimizer: torch.optim.Optimizer, clip: torch.Tensor, labels: torch.Tensor) -> None:
    with torch.autocast(clip.device.type, dtype=torch.bfloat16):
        loss = nn.functional.cross_entropy(model(clip).float(), labels, label_smoothing=0.2)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def single_process(setup: Setup) -> None:
    torch.manual_seed(0)
    model = compile_file(setup.file).build_model(width=setup.width).to(setup.device)
    clip = setup.clip()
    labels = torch.randint(0, setup.classes, (setup.batch,), device=setup.device)

    def forward(runner: nn.Module = model) -> None:
        with torch.no_grad(), torch.autocast(clip.device.type, dtype=torch.bfloat16):
            runner(clip)

    model.eval()
    report("forward, bf16", *measure(setup, forward))
    with torch.autocast(clip.device.type, dtype=torch.bfloat16):
        report("flow layer alone, bf16 autocast", *measure(setup, lambda: model.flow(clip)))
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    report("training step, bf16", *measure(setup, lambda: training_step(model, optimizer, clip, labels)))
    if not setup.compiled:
        return
    model.eval()
    compiled = torch.compile(model, backend=setup.compile_backend)
    first, steady, memory = measure(setup, lambda: forward(compiled))
    report(f"forward, torch.compile ({setup.compile_backend}), bf16", first, steady, memory)
    print(f"  compile time (first call minus a steady one): {first - steady:.1f} s", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp_worker(rank: int, setup: Setup, backend: str, port: int, results: dict[int, tuple[float, float, str]]) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group(backend, rank=rank, world_size=2)
    try:
        device = setup.device
        if device == "cpu":
            torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))  # the two processes share the cores
        elif backend == "nccl":
            device = f"cuda:{rank}"
            torch.cuda.set_device(device)
        local = dataclasses.replace(setup, device=device)
        torch.manual_seed(0)
        model = compile_file(setup.file).build_model(width=setup.width).to(device).train()
        ddp = nn.parallel.DistributedDataParallel(model, device_ids=[device] if backend == "nccl" else None)
        optimizer = torch.optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
        clip = local.clip()
        labels = torch.randint(0, setup.classes, (setup.batch,), device=device)
        results[rank] = measure(local, lambda: training_step(ddp, optimizer, clip, labels))
    finally:
        dist.destroy_process_group()


def two_processes(setup: Setup) -> None:
    gpus = torch.cuda.device_count() if setup.device.startswith("cuda") else 0
    backend = "nccl" if gpus >= 2 else "gloo"
    where = "one GPU each" if gpus >= 2 else ("both on the one GPU" if gpus == 1 else "CPU")
    with mp.Manager() as manager:
        results = manager.dict()
        mp.spawn(_ddp_worker, args=(setup, backend, _free_port(), results), nprocs=2, join=True)
        first, steady, memory = results[0]
    report(f"DDP training step, 2 x {backend} ({where})", first, steady, memory)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="every part on the CPU, 2 x 4 x 32 x 32, width 1/16")
    parser.add_argument("--batch", type=int, default=None, help="clips per batch (default 8; dry run 2)")
    parser.add_argument("--frames", type=int, default=None, help="default 32 (dry run 4)")
    parser.add_argument("--size", type=int, default=None, help="default 224 (dry run 32)")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls after the first (default 5; dry run 1)")
    parser.add_argument(
        "--compile-backend", default=None, help="torch.compile backend (default inductor; dry run eager)"
    )
    parser.add_argument("--file", default=str(A50), help="the network (default AssembleNet-50)")
    parser.add_argument("--skip-compile", action="store_true", help="leave out the torch.compile variant")
    parser.add_argument("--skip-ddp", action="store_true", help="leave out the 2-process step")
    args = parser.parse_args()
    if not args.dry_run and not torch.cuda.is_available():
        print(
            "no CUDA device here (torch.cuda.is_available() is False): nothing to check; --dry-run runs it on the CPU"
        )
        return
    dry = args.dry_run
    setup = Setup(
        file=args.file,
        device="cpu" if dry else "cuda:0",
        batch=args.batch or (2 if dry else 8),
        frames=args.frames or (4 if dry else 32),
        size=args.size or (32 if dry else 224),
        width=0.0625 if dry else None,
        repeats=args.repeats or (1 if dry else 5),
        compile_backend=args.compile_backend or ("eager" if dry else "inductor"),
        compiled=not args.skip_compile,
    )
    name = "CPU (dry run)" if dry else torch.cuda.get_device_name(0)
    shape = f"batch {setup.batch} x {setup.frames} x {setup.size}^2"
    print(f"{name}, torch {torch.__version__}; {Path(args.file).name}, {shape}", flush=True)
    single_process(setup)
    if not args.skip_ddp:
        two_processes(setup)


if __name__ == "__main__":
    main()
