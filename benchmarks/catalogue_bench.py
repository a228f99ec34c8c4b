"""What the rule-catalogue benchmarks (compare.py, funds.py) share: a child process that generates the synthetic
data as Parquet (kept for later runs), a child process that runs the catalogue on the engine and reports JSON,
and the parent that runs both in turn and prints the figures. Children keep their memory figures apart."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class Catalogue:
    """One benchmark: its script, its defaults and its three parts."""

    script: Path
    doc: str
    scale_help: str
    default_dir: Path
    memory_limit: str
    generate: Callable[..., dict]  # (directory, scale, seed, log=…) -> manifest
    engine_child: Callable[[Path, int, str, bool], dict]  # (directory, threads, memory_limit, baseline) -> result
    print_result: Callable[[dict, dict, argparse.Namespace], list[str]]  # -> failures


def _generate_child(catalogue: Catalogue, directory: Path, scale: float, seed: int) -> dict:
    manifest = catalogue.generate(directory, scale, seed, log=lambda line: print(line, file=sys.stderr, flush=True))
    manifest["peak_mb"] = round(peak_mb())
    return manifest


def _run_child(catalogue: Catalogue, args: argparse.Namespace, role: str) -> dict[str, Any]:
    cmd = [sys.executable, str(catalogue.script), "--child", role, "--dir", str(args.dir),
           "--scale", str(args.scale), "--seed", str(args.seed), "--threads", str(args.threads),
           "--memory-limit", args.memory_limit]
    if args.no_baseline:
        cmd.append("--no-baseline")
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603 - our own script
    if done.returncode != 0:
        raise SystemExit(f"the {role} process failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(catalogue: Catalogue, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=catalogue.doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help=catalogue.scale_help)
    parser.add_argument("--dir", type=Path, default=catalogue.default_dir)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--memory-limit", default=catalogue.memory_limit)
    parser.add_argument("--no-baseline", action="store_true", help="skip the pandas baseline")
    parser.add_argument("--child", choices=["generate", "engine"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "generate":
        print(json.dumps(_generate_child(catalogue, args.dir, args.scale, args.seed)))
        return 0
    if args.child == "engine":
        print(json.dumps(catalogue.engine_child(args.dir, args.threads, args.memory_limit, not args.no_baseline)))
        return 0
    manifest = _run_child(catalogue, args, "generate")
    result = _run_child(catalogue, args, "engine")
    (args.dir / "scores.json").write_text(json.dumps(result["scores"], indent=1, ensure_ascii=False))
    failures = catalogue.print_result(manifest, result, args)
    for failure in failures:
        print("FAILED:", failure)
    return 1 if failures else 0
