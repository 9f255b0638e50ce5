#!/usr/bin/env python3
"""The side-by-side drift benchmark that `scripts/bench-drift` runs (see there).

Parent mode generates the data (seeded numpy: standard normals, every third column's current
shifted by 0.2) once, then starts one process per contender and reads its peak memory from
`os.wait4`; each contender reports the wall time of its computation, without loading the files.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

COLUMNS, ROWS, SEED = 50, 200_000, 20261127
DATA = os.path.expanduser("~/.cache/gatehouse/bench-drift")


def paths():
    return {side: {fmt: os.path.join(DATA, f"{side}.{fmt}") for fmt in ("parquet", "csv")}
            for side in ("ref", "cur")}


def generate():
    import numpy as np
    import pandas as pd

    files = paths()
    if all(os.path.exists(p) for side in files.values() for p in side.values()):
        return
    os.makedirs(DATA, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for side in ("ref", "cur"):
        frame = pd.DataFrame({
            f"f{c:02d}": rng.normal(size=ROWS) + (0.2 if side == "cur" and c % 3 == 0 else 0.0)
            for c in range(COLUMNS)
        })
        frame.to_parquet(files[side]["parquet"], compression="snappy", index=False)
        frame.to_csv(files[side]["csv"], index=False, float_format="%.17g")
    print(f"bench-drift: wrote {DATA}", file=sys.stderr)


def load():
    import pandas as pd

    files = paths()
    return pd.read_parquet(files["ref"]["parquet"]), pd.read_parquet(files["cur"]["parquet"])


def run_evidently():
    import warnings

    warnings.filterwarnings("ignore")
    from evidently import Report
    from evidently.presets import DataDriftPreset

    ref, cur = load()
    start, cpu = time.perf_counter(), time.process_time()
    snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    result = snapshot.dict()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    count = result["metrics"][0]["value"]["count"]
    return {"seconds": seconds, "cpu_seconds": cpu, "drifted": int(count)}


def run_scipy():
    from scipy import stats

    ref, cur = load()
    start, cpu = time.perf_counter(), time.process_time()
    drifted = 0
    for column in ref.columns:
        r, c = ref[column].dropna().to_numpy(), cur[column].dropna().to_numpy()
        drifted += stats.ks_2samp(r, c).pvalue <= 0.05
    return {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu,
            "drifted": int(drifted)}


def measure(argv, env=None):
    """Runs argv, returns (its stdout, wall seconds, CPU seconds, peak RSS in bytes)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=None if env is None else {**os.environ, **env})
    out = proc.stdout.read()
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"bench-drift: {' '.join(argv)} failed:\n{err.decode()}")
    return out.decode(), wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", help="the gatehouse-drift bench executable")
    parser.add_argument("--cli", help="the gatehouse executable")
    parser.add_argument("--contender", choices=["evidently", "scipy"])
    parser.add_argument("--quick", action="store_true", help="Gatehouse only")
    args = parser.parse_args()
    if args.contender:
        print(json.dumps({"evidently": run_evidently, "scipy": run_scipy}[args.contender]()))
        return

    generate()
    files = paths()
    data_bytes = COLUMNS * ROWS * 2 * 8
    me = [sys.executable, os.path.abspath(__file__)]
    rows = []

    def contender(label, argv, parse=True, env=None):
        out, wall, cpu, rss = measure(argv, env)
        report = json.loads(out) if parse else {"drifted": json.loads(out)["drifted_columns"]}
        rows.append((label, report.get("seconds", wall), report.get("cpu_seconds", cpu), rss,
                     report.get("drifted")))
        print(f"bench-drift: {label}: {rows[-1][1]:.3f} s, {rss / 1e6:.0f} MB", file=sys.stderr)

    one = {"GATEHOUSE_BENCH_THREADS": "1"}
    ref, cur = files["ref"]["parquet"], files["cur"]["parquet"]
    contender("gatehouse, default methods, 1 thread", [args.engine, ref, cur], env=one)
    contender("gatehouse, --method ks, 1 thread", [args.engine, ref, cur, "--method", "ks"], env=one)
    contender(f"gatehouse, default methods, {os.cpu_count()} threads", [args.engine, ref, cur])
    cli = [args.cli, "--json", "drift"]
    contender("gatehouse CLI end to end, Parquet", cli + [ref, cur], parse=False)
    contender("gatehouse CLI end to end, CSV", cli + [files["ref"]["csv"], files["cur"]["csv"]],
              parse=False)
    if not args.quick:
        contender("evidently 0.7 DataDriftPreset", me + ["--contender", "evidently"])
        contender("scipy ks_2samp per column", me + ["--contender", "scipy"])

    print(f"\n{COLUMNS} numerical columns x ({ROWS:,} + {ROWS:,}) rows; data {data_bytes / 1e6:.0f} MB "
          f"as float64; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}\n")
    print("Seconds are the computation's (files already loaded), except the CLI rows: the whole")
    print("command. CPU seconds leave out time other processes held the cores.\n")
    print(f"| {'run':<40} | {'seconds':>8} | {'CPU s':>7} | {'peak RSS':>9} | {'RSS / data':>10} | {'drifted':>7} |")
    print(f"|{'-' * 42}|{'-' * 10}|{'-' * 9}|{'-' * 11}|{'-' * 12}|{'-' * 9}|")
    for label, secs, cpu, rss, drifted in rows:
        print(f"| {label:<40} | {secs:>8.3f} | {cpu:>7.2f} | {rss / 1e6:>6.0f} MB | "
              f"{rss / data_bytes:>9.2f}x | {drifted!s:>7} |")
    if not args.quick:
        by = {label: (secs, cpu) for label, secs, cpu, _, _ in rows}
        gh = by["gatehouse, default methods, 1 thread"]
        gh_ks = by["gatehouse, --method ks, 1 thread"]
        gh_all = by[f"gatehouse, default methods, {os.cpu_count()} threads"]
        ev, sp = by["evidently 0.7 DataDriftPreset"], by["scipy ks_2samp per column"]
        cli = by["gatehouse CLI end to end, Parquet"]
        print("\nratios (wall time / CPU time):")
        print(f"  Evidently / Gatehouse, same default methods, 1 thread: {ev[0] / gh[0]:.0f}x / {ev[1] / gh[1]:.0f}x")
        print(f"  Evidently / Gatehouse, all cores:                      {ev[0] / gh_all[0]:.0f}x")
        print(f"  scipy ks_2samp / Gatehouse --method ks, 1 thread:     {sp[0] / gh_ks[0]:.1f}x / {sp[1] / gh_ks[1]:.1f}x")
        print(f"  Evidently / Gatehouse CLI from Parquet, end to end:    {ev[0] / cli[0]:.0f}x")

if __name__ == "__main__":
    main()
