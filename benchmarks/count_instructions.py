"""Instructions per training step, counted by Valgrind's callgrind: a noise-free second opinion
on ``bench_compile.py``'s MLP steps (hand-written NumPy, eager and compiled tensorgrad).

On 2 shared cores a timed ratio moves by 5-10 % from one run to the next; the number of
instructions a step executes moves by about 0.1 %, so a change of a few per cent in the Python
that a step runs shows here first. It is not time: NumPy's loops retire more instructions per
cycle than the interpreter does, so a compiled step's time ratio to the hand-written one is
larger than its instruction ratio.

The script runs itself again under ``valgrind --tool=callgrind`` (Valgrind must be installed),
warms each variant up, then zeroes the counters (``callgrind_control``), runs ``--steps``
steps and dumps the counts; an empty loop measured the same way is subtracted (the dump's own
cost). Expect about a minute per case.

Run: ``python benchmarks/count_instructions.py [--case 0|1|2] [--steps N]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import timing  # noqa: F401 - first: pins BLAS to one thread before NumPy loads

# isort: split
import bench_mlp

import tensorgrad as tg

_CHILD = "TENSORGRAD_COUNT_INSTRUCTIONS_CHILD"
_EMPTY = "empty"


def _variants(case: int) -> dict:
    """name -> one training step, as ``bench_compile.py`` builds them (same weights)."""
    _, all_cases = bench_mlp.cases()
    _, sizes, activation, optimizer, x, labels = all_cases[case]
    weights = bench_mlp.initial_weights(sizes, seed=len(sizes))
    numpy_model = bench_mlp.NumpyMLP(weights, activation, optimizer)
    eager = bench_mlp.FrameworkMLP(tg, weights, activation, optimizer)
    compiled = tg.compile(bench_mlp.FrameworkMLP(tg, weights, activation, optimizer).step)
    tg_x, tg_labels = tg.tensor(x), tg.tensor(labels)
    return {
        _EMPTY: lambda: None,
        "numpy": lambda: numpy_model.step(x, labels),
        "eager": lambda: eager.step(tg_x, tg_labels),
        "compiled": lambda: compiled(tg_x, tg_labels),
    }


def _count(case: int, steps: int) -> None:
    """Under callgrind: one dump per variant, named after it, holding ``steps`` steps."""
    command = ["callgrind_control", "", str(os.getpid())]

    def control(option: str) -> None:
        command[1] = option
        subprocess.run(command, check=True, capture_output=True)

    for name, step in _variants(case).items():
        for _ in range(5):  # warm: the compiled variant records on its first call
            step()
        control("--zero")
        for _ in range(steps):
            step()
        control(f"--dump={name}")


def _read_dumps(folder: Path, steps: int) -> dict:
    """name -> instructions per step, from callgrind's dump files in ``folder``."""
    counts = {}
    for path in folder.glob("callgrind.out.*"):
        name = total = None
        for line in path.read_text().splitlines():
            if line.startswith("desc: Trigger:"):
                name = line.rsplit("dump ", 1)[-1].strip()
            elif line.startswith("summary:"):  # the dump's cost ("totals:" adds more)
                total = int(line.split()[1])
        if name is not None and total is not None:
            counts[name] = total / steps
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", type=int, default=0, choices=(0, 1, 2), help="bench_mlp case")
    parser.add_argument("--steps", type=int, default=100, help="steps counted per variant")
    args = parser.parse_args()
    if os.environ.get(_CHILD):
        _count(args.case, args.steps)
        return
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        sys.exit("count_instructions.py needs Valgrind (valgrind and callgrind_control)")
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={folder}/callgrind.out",
            sys.executable,
            *sys.argv,
        ]
        environment = {**os.environ, _CHILD: "1"}
        subprocess.run(command, check=True, env=environment, capture_output=True)
        counts = _read_dumps(Path(folder), args.steps)
    empty = counts.pop(_EMPTY)
    per_step = {name: count - empty for name, count in counts.items()}
    _, all_cases = bench_mlp.cases()
    print(f"{all_cases[args.case][0]}: instructions per step, {args.steps} steps each")
    print("| variant | instructions | ÷ NumPy |")
    print("|---|---:|---:|")
    for name in ("numpy", "eager", "compiled"):
        ratio = per_step[name] / per_step["numpy"]
        print(f"| {name} | {per_step[name] / 1000:,.1f} k | {ratio:.3f}× |")


if __name__ == "__main__":
    main()
