"""Shared helpers for the project's tests: sample submissions and quick suite runs."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def score(records):
    return sum(r["score"] for r in records), sum(r["max_score"] for r in records)


def failures(records):
    return "\n".join(f"  {r['name']}: {r['output']}" for r in records if r["score"] < r["max_score"])
