"""Grading at class scale: where the time goes when a complete submission is graded (hidden suites and every
notebook), and how many submissions an hour the grader gets through at --jobs 1 and --jobs 2.

The per-phase table comes from the timings the grader records in each results.json (extra_data.seconds):
per part, the hidden suite, and for the notebook the nbgrader process start, its imports, the kernel's start
with nbgrader's own steps, the notebook's cells, the trusted score check, the feedback page and the copies.
Target (PASS/MISS; the exit code is 0 unless --strict): a complete submission graded in GOAL_SECONDS."""
import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from grader.demo import complete
from grader.grade import ClassGrader
from grader.parts import built_parts

GOAL_SECONDS = 120  # a complete submission, every part and notebook, on the 2-core machine


def grade_class(count, jobs, tmp, tag):
    """Grade `count` complete submissions with `jobs`; (wall seconds, set-up seconds, results of each)."""
    parts = built_parts()
    subs = [str(complete(Path(tmp) / f"{tag}-student{i}", parts)) for i in range(count)]
    start = time.monotonic()
    grader = ClassGrader(parts, Path(tmp) / f"{tag}-out", seed=0, jobs=jobs, timeout=60)
    table = grader.grade_all(subs)
    return time.monotonic() - start, grader.setup_seconds + grader.init_seconds, list(table.values())


def phase_table(results):
    """{(part, phase): median seconds over the submissions}."""
    seen = {}
    for result in results:
        for part, phases in result["extra_data"].get("seconds", {}).items():
            for phase, seconds in phases.items():
                seen.setdefault((part, phase), []).append(seconds)
    return {key: statistics.median(values) for key, values in seen.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.bench_grading")
    parser.add_argument("--quick", action="store_true", help="one submission per class instead of three")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")
    args, _ = parser.parse_known_args(argv)
    count = 1 if args.quick else 3
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        single, single_setup, results = grade_class(1, 2, tmp, "single")
        rows = {jobs: grade_class(count, jobs, tmp, f"class{jobs}") for jobs in (1, 2)}
    phases = phase_table(results)
    print(f"One complete submission ({', '.join(p.name for p in built_parts())}; suites and notebooks), --jobs 2:")
    print(f"  {single:.0f} s in all, of which {single_setup:.0f} s class set-up (isolation check, suites "
          f"collected, nbgrader templates) -> {'PASS' if single <= GOAL_SECONDS else 'MISS'} against "
          f"{GOAL_SECONDS} s")
    print(f"\n{'part':<10}{'phase':<38}{'seconds':>8}")
    for (part, phase), seconds in sorted(phases.items()):
        print(f"{part:<10}{phase:<38}{seconds:>8.1f}")
    total = {part: sum(s for (p, _), s in phases.items() if p == part and _ in ("suite", "notebook"))
             for part in {p for p, _ in phases}}
    print(f"{'all':<10}{'suites + notebooks, one after another':<38}{sum(total.values()):>8.1f}")
    print(f"\nClass throughput ({count} complete submissions per class, set-up excluded):")
    base = None
    for jobs, (wall, setup, _) in rows.items():
        rate = count / max(wall - setup, 1e-9) * 3600
        base = base or rate
        print(f"  --jobs {jobs}: {wall:.0f} s ({setup:.0f} s set-up) -> {rate:.0f} submissions/hour "
              f"({rate / base:.2f}x --jobs 1)")
    return 1 if (single > GOAL_SECONDS and args.strict) else 0


if __name__ == "__main__":
    raise SystemExit(main())
