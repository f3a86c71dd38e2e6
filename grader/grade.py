"""Grade whole submissions: hidden suites (sandboxed) plus notebooks (nbgrader), into Gradescope's format.

For each submission it writes DIR/<name>/results.json and DIR/<name>/feedback.html, then DIR/grades.csv.
A submission whose files and grader are unchanged since its last results.json is not graded again."""
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from grader import report
from grader.notebook import NotebookGrader
from grader.parts import ROOT, select
from grader.sandbox import LEVELS, available_levels

MAX_ZIP_BYTES = 256 << 20
WEAK = "process"


def grader_fingerprint(parts, seed):
    """Changes whenever anything that decides a grade changes: the grader, a reference, a source notebook."""
    digest = hashlib.sha256(f"seed={seed}".encode())
    files = sorted((ROOT / "grader").rglob("*.py")) + sorted((ROOT / "assignment").glob("*.py"))
    files += [p.reference for p in parts] + [p.source_notebook for p in parts]
    for path in files:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def submission_fingerprint(root, parts):
    digest = hashlib.sha256()
    for part in parts:
        for rel in (f"assignment/{part.name}.py", f"notebooks/{part.notebook}.ipynb"):
            path = Path(root) / rel
            digest.update(rel.encode() + (path.read_bytes() if path.is_file() else b"<missing>"))
    return digest.hexdigest()


def unpack(path, scratch):
    """A submission folder as is, or a zip extracted safely (no absolute paths, no '..', bounded size)."""
    path = Path(path)
    if path.is_dir():
        return path
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a folder or a zip file")
    dest = Path(tempfile.mkdtemp(prefix="submission-", dir=scratch))
    with zipfile.ZipFile(path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
            raise ValueError(f"{path}: unpacks to more than {MAX_ZIP_BYTES >> 20} MiB")
        for info in infos:
            name = Path(info.filename)
            if name.is_absolute() or ".." in name.parts or (info.external_attr >> 16) & 0o170000 == 0o120000:
                continue  # absolute paths, escapes and symbolic links are dropped
            zf.extract(info, dest)
    # A zip of the folder (one top folder holding assignment/) or of its contents both work.
    tops = [p for p in dest.iterdir()]
    if len(tops) == 1 and tops[0].is_dir() and not (dest / "assignment").exists():
        return tops[0]
    return dest


def safe_name(path, taken):
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(path).name.removesuffix(".zip")).strip("._") or "submission"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


def run_suite(part, root, seed, level, timeout):
    """The part's hidden suite in a child process; a crash there costs only this part."""
    env = dict(os.environ, GRADER_SEED=str(seed), GRADER_ISOLATION=level, GRADER_TIMEOUT=str(timeout),
               PYTHONWARNINGS="ignore")
    try:
        proc = subprocess.run([sys.executable, "-m", "grader.run", part.name, str(root)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout * 40)
        records = json.loads(proc.stdout)
    except (subprocess.TimeoutExpired, ValueError):
        records = None
    if not records:
        return None
    for record in records:
        record["kind"] = "auto"
    return records


def collect(part):
    """The suite's tests and points without running them (for zero records when a suite cannot run)."""
    proc = subprocess.run([sys.executable, "-m", "grader.run", "--collect", part.name], cwd=ROOT,
                          capture_output=True, text=True)
    return json.loads(proc.stdout)


def load_manual(path):
    """Scores for written answers: a CSV with columns submission, cell (the nbgrader grade id), score."""
    if not path:
        return {}
    scores = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            try:
                scores[(row["submission"].strip(), row["cell"].strip())] = float(row["score"])
            except (KeyError, ValueError, AttributeError):
                raise SystemExit(f"{path}: every row needs submission, cell and a numeric score; got {row}")
    return scores


def apply_manual(records, name, manual):
    for record in records:
        key = (name, record["name"].removeprefix("notebook:"))
        if record.get("kind") == "manual" and key in manual:
            record["score"] = min(max(manual[key], 0), record["max_score"])
            record["kind"], record["output"] = "manual-graded", "Graded by your instructor."


class ClassGrader:
    def __init__(self, parts, out, seed=0, level=None, jobs=1, timeout=60.0, smoke=True, hidden=(), manual=None,
                 notebooks=True):
        self.parts, self.out, self.seed, self.jobs, self.timeout = parts, Path(out), seed, jobs, timeout
        self.grade_notebooks = notebooks
        self.manual = manual or {}
        self.level = level or available_levels()[0]
        self.fingerprint = grader_fingerprint(parts, seed)
        self.hidden = [self.out, *hidden]
        self.suite_tests = {p.name: collect(p) for p in parts}
        self.smoke = smoke
        self.notebooks = {}

    def notebook_grader(self, part):
        if part.name not in self.notebooks:
            self.notebooks[part.name] = NotebookGrader(part, self.level, smoke=self.smoke, hidden=self.hidden)
        return self.notebooks[part.name]

    def close(self):
        for nb in self.notebooks.values():
            nb.close()

    def grade_one(self, name, root, notebooks=None):
        """Grade one unpacked submission; `notebooks=False` grades it by the hidden suites only (its results
        then hold no notebook tests and say so, rather than showing them as failed)."""
        notebooks = self.grade_notebooks if notebooks is None else notebooks
        outdir = self.out / name
        results_path = outdir / "results.json"
        mine = sorted((k[1], v) for k, v in self.manual.items() if k[0] == name)
        fingerprint = submission_fingerprint(root, self.parts) + repr(mine) + ("" if notebooks else "+no-notebooks")
        if results_path.exists():
            try:
                old = json.loads(results_path.read_text())
                extra = old.get("extra_data", {})
                if extra.get("grader") == self.fingerprint and extra.get("submission") == fingerprint:
                    return old, True
            except ValueError:
                pass
        start = time.monotonic()
        tests = []
        for part in self.parts:
            records = run_suite(part, root, self.seed, self.level, self.timeout)
            if records is None:
                records = [dict(r, score=0, kind="auto", output="The grader could not run this test on your code.")
                           for r in self.suite_tests[part.name]]
            if notebooks:
                records += self.notebook_grader(part).grade(root, name, outdir)
            for record in records:
                record["part"] = part.name
            tests += records
        apply_manual(tests, name, self.manual)
        results = report.results_json(tests, self.level, time.monotonic() - start,
                                      {"grader": self.fingerprint, "submission": fingerprint,
                                       "notebooks": "graded" if notebooks else "skipped"})
        if not notebooks:
            results["output"] += (" The notebooks were not graded in this run: the score counts the hidden "
                                  "tests of the package only.")
        outdir.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(results, indent=1))
        (outdir / "feedback.html").write_text(report.feedback_html(name, results, self.parts))
        return results, False

    def grade_all(self, submissions, skip_notebooks=()):
        """Grade `submissions` (folders or zips), `jobs` at a time; those also named in `skip_notebooks` (as
        given in `submissions`) are graded by the hidden suites only, like all of them with notebooks=False."""
        self.out.mkdir(parents=True, exist_ok=True)
        skip = {str(s) for s in skip_notebooks}
        taken, table = set(), {}
        with tempfile.TemporaryDirectory(prefix="course-unpack-") as scratch:
            named = []
            for sub in submissions:
                name = safe_name(sub, taken)
                try:
                    named.append((name, unpack(sub, scratch), self.grade_notebooks and str(sub) not in skip))
                except (ValueError, OSError, zipfile.BadZipFile) as exc:
                    print(f"skipped {sub}: {exc}", file=sys.stderr)
            self.hidden += [root for _, root, _ in named]  # no kernel may read any submission's originals
            with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
                if any(notebooks for *_, notebooks in named):  # each part's nbgrader template, built at once
                    list(pool.map(self.notebook_grader, self.parts))
                futures = {name: pool.submit(self.grade_one, name, root, notebooks)
                           for name, root, notebooks in named}
                for name, future in futures.items():
                    table[name], reused = future.result()
                    print(f"{'reused' if reused else 'graded'} {name}: {report.score_line(table[name])}",
                          file=sys.stderr)
        self.close()
        report.write_csv(self.out / "grades.csv", table, self.parts)
        return table


def check_level(level, require):
    """The isolation level to use; refuses a weaker one than required, warns loudly about the weak one."""
    found = available_levels()
    if level and level not in found:
        raise SystemExit(f"isolation {level!r} is not available here (available: {', '.join(found)})")
    level = level or found[0]
    if require and LEVELS.index(level) > LEVELS.index(require):
        raise SystemExit(f"isolation {level!r} is weaker than the required {require!r}. Install bubblewrap "
                         "(e.g. `apt install bubblewrap`) or enable unprivileged user namespaces.")
    if level == WEAK:
        print("\n" + "!" * 78 + "\nWARNING: only process isolation is available: student code can read the "
              "reference\nsolutions and reach the network. Install bubblewrap or enable user namespaces before "
              "grading\nreal submissions. Each results.json records this level.\n" + "!" * 78 + "\n",
              file=sys.stderr)
    return level


def main(args):
    parts = select(args.part)
    level = check_level(args.isolation, args.require_isolation)
    grader = ClassGrader(parts, args.out, seed=args.seed, level=level, jobs=args.jobs, timeout=args.timeout,
                         smoke=not args.full_notebooks, manual=load_manual(args.manual),
                         notebooks=not args.skip_notebooks)
    table = grader.grade_all(args.submissions)
    if getattr(args, "gradebook", None):  # also into an nbgrader course's gradebook (python -m grader course)
        from grader.course import record
        record(args.gradebook, table, parts, args.out)
    print(report.class_table(table, parts))
    print(f"\nResults in {args.out}/<name>/results.json and feedback.html; class grades in {args.out}/grades.csv")
    return 0
