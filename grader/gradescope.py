"""Gradescope's autograder: the zip for the instructor, and the grading of one submission inside Gradescope.

`python -m grader gradescope --out autograder.zip` builds the zip in Gradescope's documented layout. Gradescope
unpacks it into /autograder/source, so its top holds what Gradescope looks for:
  setup.sh          run once, as root, when Gradescope builds the image: Python from apt, a
                    virtual environment in /autograder/venv, torch's CPU build, then the project's dependencies
                    (requirements.txt, taken from pyproject.toml)
  run_autograder    run for every submission: `python -m grader.gradescope run` in /autograder/source
and beside them the course code the grader needs (assignment/, solutions/, grader/, pyproject.toml) and
gradescope.json: the parts graded, whether notebooks are, and the seed of the hidden inputs.

`run` takes the files in /autograder/submission (laid out like the repository, or flat `conv.py` and
`01_conv_layer.ipynb` files; Gradescope unzips an uploaded zip, and a zip of the repository is read too),
grades them with the class grader and writes /autograder/results/results.json in Gradescope's schema.
Written answers are listed at 0 of 0 points there (their points go to a question graded by hand on
Gradescope). Every path hangs off $AUTOGRADER_ROOT (default /autograder); $AUTOGRADER_PYTHON names the
interpreter run_autograder uses (default the venv's).

The secret: the seed is drawn at random when the zip is built, so students cannot reproduce the hidden
inputs from the public grader (and hard-code their answers). It lives only in /autograder/source/gradescope.json
(mode 0600, owned by root). Student code never sees that folder: the "namespaces" sandbox's root holds only
system files, Python and the sandbox's own folder (not /autograder/source, /autograder/submission or
/autograder/results), and as Gradescope runs the grader as root, each sandbox also runs as an unprivileged uid
of its own. Where the container allows only "process" isolation, student code would run as root beside the
course folder: every submission then gets 0 with a message that says so, unless the zip was built with
--allow-weak-isolation (the results then say that the grade could have been tampered with).
"""
import json
import os
import re
import secrets
import shutil
import stat
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from grader.parts import ROOT, select

CONFIG = "gradescope.json"
COURSE_FILES = ["assignment", "solutions", "grader", "pyproject.toml"]
MAX_FILE_BYTES = 64 << 20  # a submitted file larger than this is not taken
SKIP = re.compile(r"(^|/)(__pycache__|\.ipynb_checkpoints|\.pytest_cache)(/|$)|\.pyc$")
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (the zip is in /autograder/source).
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
"$ROOT/venv/bin/python" -m pip install --quiet --index-url {index} "{torch}"
"$ROOT/venv/bin/python" -m pip install --quiet -r "$SOURCE/requirements.txt"
chmod 600 "$SOURCE/{config}"
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission into /autograder/results/results.json.
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PYTHON="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source" && exec "$PYTHON" -m grader.gradescope run
"""


# ------------------------------------------------------------------------------------ the zip
def dependencies():
    """(torch requirement, the other requirements) from pyproject.toml's [project] dependencies."""
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies\s*=\s*\[(.*?)^\]", text, re.S | re.M).group(1)
    deps = re.findall(r"\"([^\"]+)\"", block)
    torch = [d for d in deps if re.match(r"torch\b", d)]
    return (torch[0] if torch else "torch"), [d for d in deps if d not in torch]


def course_files():
    """(path in the zip, file) for the course code the grader needs."""
    for name in COURSE_FILES:
        path = ROOT / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            rel = file.relative_to(ROOT).as_posix()
            if not SKIP.search(rel):
                yield rel, file


def build(out, parts, seed=None, notebooks=True, allow_weak=False):
    """Write the autograder zip to `out`; returns the seed it holds."""
    seed = secrets.randbits(128) if seed is None else seed
    torch, others = dependencies()
    config = {"parts": [p.name for p in parts], "seed": seed, "notebooks": notebooks,
              "allow_weak_isolation": allow_weak}

    def add(zf, name, text, mode=0o644):
        info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
        info.external_attr = (stat.S_IFREG | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, text)

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as zf:
        add(zf, "setup.sh", SETUP.format(index=TORCH_INDEX, torch=torch, config=CONFIG), 0o755)
        add(zf, "run_autograder", RUN, 0o755)
        add(zf, "requirements.txt", "\n".join(others) + "\n")
        add(zf, CONFIG, json.dumps(config, indent=1) + "\n", 0o600)
        for rel, file in course_files():
            add(zf, rel, file.read_bytes())
    return seed


# ------------------------------------------------------------------------------------ inside Gradescope
def submitted_files(folder):
    """Every regular file under `folder` (no symbolic links, no hidden or macOS metadata folders)."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__MACOSX")
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if not path.is_symlink() and path.is_file() and path.stat().st_size <= MAX_FILE_BYTES:
                found.append(path)
    return found


def pick(files, name, folder):
    """The submitted file called `name`: preferably inside a folder called `folder`, then the shallowest."""
    candidates = [f for f in files if f.name == name]
    candidates.sort(key=lambda f: (f.parent.name != folder, len(f.parts), str(f)))
    return candidates[0] if candidates else None


def stage(submission, parts, dest, scratch, notebooks=True):
    """Lay out `dest` like the repository (assignment/<part>.py, notebooks/<notebook>.ipynb) from what was
    submitted (repository layout or flat files; else a zip of the repository); returns what is missing."""
    from grader.grade import unpack

    files = submitted_files(submission)
    wanted = {n for p in parts for n in (f"{p.name}.py", f"{p.notebook}.ipynb")}
    if not any(f.name in wanted for f in files):
        for archive in (f for f in files if f.suffix == ".zip"):
            try:
                files = submitted_files(unpack(archive, scratch, parts))
                break
            except Exception:  # noqa: BLE001  (an unreadable zip is as good as none)
                continue
    missing = []
    for part in parts:
        wanted = [("assignment", f"{part.name}.py")] + [("notebooks", f"{part.notebook}.ipynb")] * notebooks
        for folder, name in wanted:
            found = pick(files, name, folder)
            if found is None:
                missing.append(name)
                continue
            (dest / folder).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, dest / folder / name)
    return missing


def to_gradescope(results, missing):
    """Our results.json, as Gradescope reads it: written answers at 0 of 0 (graded by hand on Gradescope)."""
    tests = []
    for test in results["tests"]:
        entry = {key: test[key] for key in ("name", "score", "max_score", "output", "tags", "extra_data")}
        entry["visibility"] = "visible"
        if test["extra_data"]["kind"] == "manual":
            entry.update(score=0, max_score=0, output=f"Written answer worth {test['max_score']:g} points: "
                         "graded by hand by your instructor, not part of this score.")
        else:
            entry["status"] = "passed" if test["score"] >= test["max_score"] else "failed"
        tests.append(entry)
    output = results["output"]
    if missing:
        output += f" Not found in your submission: {', '.join(missing)} (graded as not done)."
    return {"score": round(sum(t["score"] for t in tests), 4), "execution_time": results["execution_time"],
            "output": output, "output_format": "text", "visibility": "visible", "stdout_visibility": "hidden",
            "tests": tests, "extra_data": results["extra_data"]}


def failure(message, seconds=0.0):
    return {"score": 0, "execution_time": round(seconds, 1), "output": message, "output_format": "text",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": []}


def grade_submission(root, config):
    """Grade $AUTOGRADER_ROOT/submission; Gradescope's results as a dict."""
    from grader.grade import ClassGrader
    from grader.sandbox import available_levels

    parts = select(config["parts"])
    level = available_levels()[0]
    if level == "process" and not config.get("allow_weak_isolation"):
        return failure("The autograder cannot grade here: this container allows only process isolation, which "
                       "would let submitted code read the hidden tests and change its grade. Your instructor has "
                       "been told (rebuild the autograder with --allow-weak-isolation to grade anyway).")
    with tempfile.TemporaryDirectory(prefix="gradescope-") as tmp:
        staged = Path(tmp) / "submission"
        staged.mkdir()
        missing = stage(root / "submission", parts, staged, tmp, config.get("notebooks", True))
        hidden = [p for p in (ROOT, root / "submission", root / "results") if p.exists()]
        grader = ClassGrader(parts, Path(tmp) / "out", seed=config["seed"], level=level, hidden=hidden,
                             notebooks=config.get("notebooks", True))
        results = grader.grade_all([staged])["submission"]
    if level == "process":
        results["output"] += (" WARNING: graded with process isolation only; submitted code could have read the "
                              "hidden tests and changed this grade.")
    return to_gradescope(results, missing)


def run():
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    start = time.monotonic()
    try:
        config = json.loads((ROOT / CONFIG).read_text())
        results = grade_submission(root, config)
    except (Exception, SystemExit) as exc:  # noqa: BLE001  (Gradescope must always get a results.json)
        print(f"autograder failure: {type(exc).__name__}: {exc}", file=sys.stderr)
        results = failure(f"The autograder failed ({type(exc).__name__}); your instructor can see its log.",
                          time.monotonic() - start)
    out = root / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=1))
    print(f"score {results['score']:g}; results in {out / 'results.json'}")
    return 0


def main(args):
    parts = select(args.part)
    build(args.out, parts, seed=args.seed, notebooks=not args.skip_notebooks, allow_weak=args.allow_weak_isolation)
    print(f"Wrote {args.out}: Gradescope's autograder for {', '.join(p.name for p in parts)}"
          f"{' (package suites only)' if args.skip_notebooks else ''}, with a secret seed for the hidden inputs.\n"
          "Upload it as a programming assignment's autograder (Ubuntu base image); students upload their "
          "assignment/*.py and notebooks (the repository layout, flat files, or a zip).")
    return 0


if __name__ == "__main__" and sys.argv[1:] == ["run"]:
    sys.exit(run())
