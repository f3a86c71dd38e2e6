"""`python -m bench.run_notebooks [--full] [--keep DIR] [PART ...]`: run notebooks top to bottom with the
reference solutions in place, as a student who finished them would, and print each one's wall time.

Smoke mode (COURSE_SMOKE=1) is the default; --full runs them as students do. --keep DIR keeps the executed
notebooks there to read. Not part of `python -m bench` (it is a run of the course, not a side-by-side ratio).
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from grader.demo import complete  # noqa: E402
from grader.parts import built_parts, select  # noqa: E402


def run(part, folder):
    """Execute `part`'s notebook in `folder` (a completed release); returns (seconds, errors, stderr lines)."""
    path = folder / "notebooks" / f"{part.notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=3600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    outputs = [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code" for o in c.outputs]
    errors = [f"cell {i}: {o.get('ename')}: {o.get('evalue', '')[:200]}" for i, o in outputs if o.output_type == "error"]
    stderr = [f"cell {i}: {o.get('text', '')[:200]}" for i, o in outputs
              if o.output_type == "stream" and o.name == "stderr"]
    return seconds, errors, stderr


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", help="part names (default: every built part)")
    parser.add_argument("--full", action="store_true", help="full mode instead of smoke mode")
    parser.add_argument("--keep", type=Path, help="folder to keep the executed notebooks in")
    args = parser.parse_args(argv)
    os.environ["COURSE_SMOKE"] = "" if args.full else "1"
    os.environ.setdefault("MPLBACKEND", "Agg")
    parts = select(args.parts)
    with tempfile.TemporaryDirectory(prefix="course-notebooks-") as tmp:
        folder = complete((args.keep or Path(tmp)) / "course", built_parts())
        status = 0
        for part in parts:
            seconds, errors, stderr = run(part, folder)
            print(f"{part.notebook}: {seconds:.1f} s in {'full' if args.full else 'smoke'} mode"
                  f"{'' if not errors else f', {len(errors)} error(s)'}"
                  f"{'' if not stderr else f', {len(stderr)} stderr output(s)'}", flush=True)
            for line in errors + stderr:
                print("   ", line)
            status |= bool(errors)
    return status


if __name__ == "__main__":
    sys.exit(main())
