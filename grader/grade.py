"""Grade whole submissions: hidden suites (sandboxed) plus notebooks (nbgrader), into Gradescope's format.

For each submission it writes DIR/<name>/results.json and DIR/<name>/feedback.html, then DIR/grades.csv.
A submission whose files and grader are unchanged since its last results.json is not graded again.
The hidden inputs are drawn from a secret seed kept in DIR/.grader-secret (never handed to students)."""
import csv
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from grader import report
from grader.notebook import NotebookGrader, all_zero
from grader.parts import ROOT, built_parts, select
from grader.sandbox import LEVELS, available_levels
from grader.submission import SubmissionError, gather, submission_file

WEAK = "process"
SECRET_FILE = ".grader-secret"
RESERVED = {"grades.csv", SECRET_FILE}  # the class files beside the students' folders (compared casefolded)


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
            path = submission_file(root, rel)
            digest.update(rel.encode() + (path.read_bytes() if path else b"<missing>"))
    return digest.hexdigest()


def class_seed(out, secret=None):
    """The run's secret seed: derived from the file `secret` (default DIR/.grader-secret), which is created
    with a fresh random value (mode 0600) on first use, so that a resumed run draws the same hidden inputs.
    A secret given from elsewhere (shards of one class) is also kept in DIR, so that DIR resumes alone."""
    own = Path(out) / SECRET_FILE
    path = Path(secret) if secret else own
    if not path.exists():
        if secret:
            raise SystemExit(f"{path}: no such secret file (the first shard's DIR/{SECRET_FILE}, or any file "
                             "of at least 16 random characters)")
        _create_secret(path, secrets.token_hex(32))
    text = path.read_text().strip()
    if len(text) < 16:
        raise SystemExit(f"{path}: too short to be a secret (use at least 16 random characters)")
    if path != own:
        if not own.exists():
            _create_secret(own, text)
        elif own.read_text().strip() != text:
            raise SystemExit(f"{own.parent} was graded with another secret; grade into a new --out folder")
    return int(hashlib.sha256(text.encode()).hexdigest()[:32], 16)


def _create_secret(path, text):
    """Write a secret file readable by its owner only; atomic, so concurrent shards agree on one value."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
    try:
        os.link(tmp, path)  # fails if another run created it first: then that one is used
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def unpack(path, scratch, parts=None, notes=None):
    """The files grading reads from a submission (a folder or a zip), copied as plain files into a new folder
    under `scratch` (see grader.submission); raises SubmissionError with the reason when it is unreadable.
    What is worth telling the student (a link ignored, ...) is appended to `notes`."""
    dest = Path(tempfile.mkdtemp(prefix="submission-", dir=scratch))
    found = gather(path, dest, parts or built_parts())
    if notes is not None:
        notes += found
    return dest


def safe_name(path, taken):
    """A folder name for the submission's results: its file name, tidied; distinct from `taken` and from the
    class files even on a case-insensitive file system (adds -2, -3, ...). Adds the name to `taken`."""
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(path).name.removesuffix(".zip")).strip("._")[:200] or "submission"
    name, n = base, 1
    while name.casefold() in taken or name.casefold() in RESERVED:
        n += 1
        name = f"{base}-{n}"
    taken.add(name.casefold())
    return name


def assign_names(submissions):
    """[(name, submission)] in the order given; names are assigned in sorted order, so that they do not
    depend on the order of the command line (nor on sharding)."""
    subs = [str(s) for s in submissions]
    taken, names = set(), {}
    for i in sorted(range(len(subs)), key=lambda i: (Path(subs[i]).name, subs[i], i)):
        names[i] = safe_name(subs[i], taken)
    return [(names[i], sub) for i, sub in enumerate(subs)]


def parse_shard(text):
    """'I/N' (1 <= I <= N) -> (I, N)."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise SystemExit(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. --shard 2/4")
    return int(match[1]), int(match[2])


def in_shard(named, shard):
    """The submissions of shard (I, N): the I-th, (I+N)-th, ... of the class in name order."""
    if not shard:
        return named
    index, count = shard
    mine = {name for k, (name, _) in enumerate(sorted(named)) if k % count == index - 1}
    return [(name, sub) for name, sub in named if name in mine]


def run_suite(part, root, seed, level, timeout, first_loss=False):
    """The part's hidden suite in a child process; a crash there costs only this part. first_loss: stop at
    the first test that loses points (the project's own tests ask only whether a known bug loses any)."""
    return run_suites(part, [root], seed, level, timeout, first_loss)[0]


def run_suites(part, roots, seed, level, timeout, first_loss=False):
    """run_suite for several submissions in one child process (one pytest session and one sandbox each):
    the process's start and imports are paid once. A crash there costs all of them, so a class is graded
    one submission per process; the project's tests grade their many known bugs this way."""
    env = dict(os.environ, GRADER_SEED=str(seed), GRADER_ISOLATION=level, GRADER_TIMEOUT=str(timeout),
               PYTHONWARNINGS="ignore", GRADER_FIRST_LOSS="1" if first_loss else "")
    try:
        proc = subprocess.run([sys.executable, "-m", "grader.run", part.name, *map(str, roots)], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=timeout * 40 * len(roots))
        results = json.loads(proc.stdout)
    except (subprocess.TimeoutExpired, ValueError):
        results = None
    if not isinstance(results, list) or len(results) != len(roots):
        return [None] * len(roots)
    for records in results:
        for record in records or ():
            record["kind"] = "auto"
    return [records or None for records in results]


def collect(part):
    """The suite's tests and points without running them (for zero records when a suite cannot run)."""
    return collect_all([part])[part.name]


def collect_all(parts):
    """{part name: collect(part)} from one pytest process."""
    proc = subprocess.run([sys.executable, "-m", "grader.run", "--collect", *(p.name for p in parts)], cwd=ROOT,
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
    """Grades a class into `out`. `seed=None` (the default) uses the class's secret seed (see class_seed);
    an integer forces that seed (to reproduce a run)."""

    def __init__(self, parts, out, seed=None, level=None, jobs=1, timeout=60.0, smoke=True, hidden=(), manual=None,
                 notebooks=True, secret=None):
        started = time.monotonic()
        self.parts, self.out, self.jobs, self.timeout = parts, Path(out), jobs, timeout
        self.seed = class_seed(self.out, secret) if seed is None else seed
        self.grade_notebooks = notebooks
        self.manual = manual or {}
        self.level = level or available_levels()[0]
        self.fingerprint = grader_fingerprint(parts, self.seed)
        self.titles = {p.name: report.notebook_titles(p.source_notebook) for p in parts}
        self.notes = {}
        self.hidden = [self.out, *hidden]
        self.suite_tests = collect_all(parts)
        self.smoke = smoke
        self.notebooks = {}
        self.units = None  # the pool that runs the units of work during grade_all
        self.setup_seconds = 0.0  # of the last grade_all: submissions read, nbgrader templates built
        self.init_seconds = time.monotonic() - started  # isolation checked, suites collected

    def notebook_grader(self, part):
        if part.name not in self.notebooks:
            self.notebooks[part.name] = NotebookGrader(part, self.level, smoke=self.smoke, hidden=self.hidden)
        return self.notebooks[part.name]

    def close(self):
        for nb in self.notebooks.values():
            nb.close()

    def retitle(self, part, records):
        """Notebook records titled by their question (report.notebook_titles) instead of the cell id."""
        for record in records:
            if record["name"].startswith("notebook:"):
                cell = record["name"].removeprefix("notebook:")
                record["title"] = f"{part.notebook}, {self.titles[part.name].get(cell, cell)}"
        return records

    def grade_one(self, name, root, notebooks=None, sid="s0001"):
        """Grade one unpacked submission; `notebooks=False` grades it by the hidden suites only (its results
        then hold no notebook tests and say so, rather than showing them as failed). `name` is the results
        folder's name; inside the grader (temporary folders, kernel sockets) the student is the short `sid`."""
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
        # Each part's suite and notebook is a unit of work of its own, run by the shared pool of `jobs`
        # workers, so that one submission's parts run side by side too (futures taken in order below).
        units = [(part, self.run_unit(self.suite_unit, part, root),
                  self.run_unit(self.notebook_unit, part, root, sid, outdir) if notebooks else None)
                 for part in self.parts]
        tests, seconds = [], {}
        for part, suite, notebook in units:
            records, seconds[part.name] = suite.result()
            if notebook is not None:
                more, phases = notebook.result()
                records += more
                seconds[part.name].update(phases)
            for record in records:
                record["part"] = part.name
            tests += records
        apply_manual(tests, name, self.manual)
        results = report.results_json(tests, self.level, time.monotonic() - start,
                                      {"grader": self.fingerprint, "submission": fingerprint,
                                       "notebooks": "graded" if notebooks else "skipped"})
        results["extra_data"]["seconds"] = seconds
        if not notebooks:
            results["output"] += (" The notebooks were not graded in this run: the score counts the hidden "
                                  "tests of the package only.")
        for note in self.notes.get(name, []):
            results["output"] += f" Note: {note}."
        self.write(name, results)
        return results, False

    def run_unit(self, fn, *args):
        """A future for fn(*args): run by the pool of units during grade_all, at once otherwise."""
        if self.units is not None:
            return self.units.submit(fn, *args)
        future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:  # noqa: BLE001  (raised again by result(), as from a pool)
            future.set_exception(exc)
        return future

    def suite_unit(self, part, root):
        """(records, {"suite": seconds}) of the part's hidden suite; zeros when the suite could not run."""
        start = time.monotonic()
        records = run_suite(part, root, self.seed, self.level, self.timeout)
        if records is None:
            records = [dict(r, score=0, kind="auto", output="The grader could not run this test on your code.")
                       for r in self.suite_tests[part.name]]
        return records, {"suite": round(time.monotonic() - start, 2)}

    def notebook_unit(self, part, root, sid, outdir):
        """(records, phases in seconds) of the part's notebook graded by nbgrader."""
        start = time.monotonic()
        grader = self.notebook_grader(part)
        records = self.retitle(part, grader.grade(root, sid, outdir))
        phases = {f"notebook: {k}": round(v, 2) for k, v in getattr(grader, "phases", {}).pop(sid, {}).items()}
        return records, {"notebook": round(time.monotonic() - start, 2), **phases}

    def write(self, name, results):
        outdir = self.out / name
        outdir.mkdir(parents=True, exist_ok=True)
        (outdir / "results.json").write_text(json.dumps(results, indent=1))
        (outdir / "feedback.html").write_text(report.feedback_html(name, results, self.parts, outdir))

    def failed(self, name, problem, notebooks):
        """Zero for every test, with the reason; never reused by a later run (it is tried again)."""
        tests = []
        for part in self.parts:
            records = [dict(r, score=0, kind="auto") for r in self.suite_tests[part.name]]
            if notebooks:
                records += self.retitle(part, all_zero(part, "This submission could not be graded."))
            for record in records:
                record.update(part=part.name, output=record["output"] or "This submission could not be graded.")
            tests += records
        results = report.results_json(tests, self.level, 0.0, {"grader": self.fingerprint, "failed": problem,
                                                                "notebooks": "failed" if notebooks else "skipped"})
        results["output"] = f"This submission could not be graded: {problem}."
        self.write(name, results)
        return results

    def grade_safely(self, name, root, notebooks, sid, problem=None):
        """grade_one, except that a submission that cannot be read or graded gets zero with the reason
        instead of stopping the class."""
        if problem is None:
            try:
                return self.grade_one(name, root, notebooks, sid)
            except Exception as exc:  # noqa: BLE001  (whatever it was, the rest of the class is graded)
                print(f"error while grading {name}:\n{traceback.format_exc()}", file=sys.stderr)
                problem = f"the grader failed on it ({type(exc).__name__}: {exc}); your instructor will look into it"
        return self.failed(name, problem, notebooks), False

    def grade_all(self, submissions, skip_notebooks=(), shard=None):
        """Grade `submissions` (folders or zips), `jobs` at a time; those also named in `skip_notebooks` (as
        given in `submissions`) are graded by the hidden suites only, like all of them with notebooks=False.
        `shard=(I, N)` grades only the I-th of N shares of the class (see in_shard). Every submission graded
        gets a row, those that cannot be read or graded with zero and the reason."""
        start = time.monotonic()
        self.out.mkdir(parents=True, exist_ok=True)
        skip = {str(s) for s in skip_notebooks}
        table = {}
        with tempfile.TemporaryDirectory(prefix="course-unpack-") as scratch:
            jobs = []
            for k, (name, sub) in enumerate(in_shard(assign_names(submissions), shard)):
                notes, root, problem = [], None, None
                try:
                    root = unpack(sub, scratch, self.parts, notes)
                except SubmissionError as exc:
                    problem = str(exc)
                except OSError as exc:
                    problem = f"it could not be read ({exc.strerror or exc})"
                if problem:
                    print(f"cannot read {sub}: {problem}; it is recorded with zero points", file=sys.stderr)
                self.notes[name] = notes
                jobs.append((name, root, self.grade_notebooks and sub not in skip, f"s{k + 1:04d}", problem))
            # no kernel may read any submission: neither the originals nor their copies
            self.hidden += [Path(s) for s in map(str, submissions) if Path(s).is_dir()]
            self.hidden += [root for _, root, *_ in jobs if root]
            # `jobs` workers do the work (units: a part's suite or notebook); as many submissions are in
            # flight, each waiting for its units, so that the first ones finish first.
            with ThreadPoolExecutor(max_workers=max(1, self.jobs)) as units, \
                    ThreadPoolExecutor(max_workers=max(1, self.jobs)) as pool:
                self.units = units
                if any(notebooks and root for _, root, notebooks, *_ in jobs):  # each nbgrader template, at once
                    list(units.map(self.notebook_grader, self.parts))
                self.setup_seconds = time.monotonic() - start
                futures = {job[0]: pool.submit(self.grade_safely, *job) for job in jobs}
                for name, future in futures.items():
                    table[name], reused = future.result()
                    print(f"{'reused' if reused else 'graded'} {name}: {report.score_line(table[name])}",
                          file=sys.stderr)
            self.units = None
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
        raise SystemExit(f"isolation {level!r} is weaker than the required {require!r}. Enable unprivileged user "
                         "namespaces (e.g. `sysctl kernel.unprivileged_userns_clone=1`, or allow them in AppArmor).")
    if level == WEAK:
        print("\n" + "!" * 78 + "\nWARNING: only process isolation is available: student code can read the "
              "reference\nsolutions and reach the network. Enable unprivileged user namespaces before "
              "grading\nreal submissions. Each results.json records this level.\n" + "!" * 78 + "\n",
              file=sys.stderr)
    return level


def main(args):
    parts = select(args.part)
    level = check_level(args.isolation, args.require_isolation)
    shard = parse_shard(args.shard) if getattr(args, "shard", None) else None
    if args.seed is not None and getattr(args, "secret_from", None):
        raise SystemExit("give either --seed or --secret-from, not both")
    grader = ClassGrader(parts, args.out, seed=args.seed, level=level, jobs=args.jobs, timeout=args.timeout,
                         smoke=not args.full_notebooks, manual=load_manual(args.manual),
                         notebooks=not args.skip_notebooks, secret=getattr(args, "secret_from", None))
    table = grader.grade_all(args.submissions, shard=shard)
    if shard:
        print(f"shard {shard[0]}/{shard[1]}: {len(table)} of {len(args.submissions)} submissions graded into "
              f"{args.out}; combine the shards with `python -m grader merge OUT... --out DIR`", file=sys.stderr)
    if getattr(args, "gradebook", None):  # also into an nbgrader course's gradebook (python -m grader course)
        from grader.course import record
        record(args.gradebook, table, parts, args.out)
    print(report.class_table(table, parts))
    print(f"\nResults in {args.out}/<name>/results.json and feedback.html; class grades in {args.out}/grades.csv")
    return 0
