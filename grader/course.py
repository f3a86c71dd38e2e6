"""A real nbgrader course for instructors: created from the release, and filled with the grader's scores.

`python -m grader course DIR` lays out an nbgrader course folder:
  nbgrader_config.py    course id, course root, gradebook URL (DIR/gradebook.db), exchange folder
  source/<part>/        the source notebook and the `assignment/` package (helpers and release stubs)
  release/<part>/       nbgrader's generate_assignment output, ready for `nbgrader release_assignment`
and adds every part to the gradebook, so that release_assignment, collect and the formgrader work as
nbgrader's documentation describes. The exchange folder is created world-writable (nbgrader's own mode).

`python -m grader grade ... --gradebook DIR` then writes the grader's scores into that gradebook:
- `<part>` (the notebook assignment): the trusted scores of the autograded cells (nbgrader's score capped by
  the answer check, see grader/notebook.py) and the graded notebook in autograded/<student>/<part>/, so
  written answers are graded by hand in the formgrader and `nbgrader generate_feedback` works. A score
  an instructor entered by hand is never overwritten.
- `<part>-package` (one more nbgrader assignment per part) holds the hidden suite: a notebook
  `hidden-tests` with one graded cell per hidden test. A separate assignment rather than extra cells in
  the notebook's assignment because nbgrader keeps an assignment's cells in step with its source notebook
  (generate_assignment would drop cells it does not find there), and because `nbgrader export` then gives
  the package and the notebook a row each, and the formgrader a column each, with their own maxima.
  autograded/<student>/<part>-package/hidden-tests.ipynb shows each test's message in the formgrader.
Submissions collected with `nbgrader collect` (submitted/<student>/<part>/, the notebook beside assignment/)
are laid out for `grade` by `python -m grader course DIR --collected OUT` (OUT/<student>/ like the release).
Students are added to the gradebook when missing. The CSV (DIR/grades.csv of `grade --out`) is unchanged.

nbgrader's own `autograde` also works in this course, but runs student notebooks without the sandbox;
`python -m grader grade --gradebook` is the confined way to autograde.
"""
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat

from grader.parts import ROOT, built_parts, select
from grader.release import CODE_STUB_CONFIG
from grader.sandbox import prepare_submission

PACKAGE_NOTEBOOK = "hidden-tests"
CONFIG = """\
# nbgrader configuration of the CNN course (written by `python -m grader course`).
c = get_config()
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db_url!r}
c.Exchange.root = {exchange!r}
# The student's module is what the hidden suites grade: autograde keeps it instead of the release stub.
c.Autograde.exclude_overwriting = {exclude!r}
"""


def package_assignment(part):
    return f"{part.name}-package"


def nbgrader_env(course):
    """nbgrader runs `alembic` from PATH: this interpreter's scripts come first; the course's config is used."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return dict(os.environ, PATH=path, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                                                os.environ.get("PYTHONPATH")])))


def nbgrader(course, *args):
    """Run an nbgrader command in the course folder; its output on failure."""
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=nbgrader_env(course),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout + proc.stderr


def create(dest, exchange=None, course_id="cnn-course", parts=None):
    """Create (or refresh) the nbgrader course in `dest` from the release; returns its config path."""
    dest = Path(dest).resolve()
    parts = parts or built_parts()
    exchange = Path(exchange).resolve() if exchange else dest / "exchange"
    dest.mkdir(parents=True, exist_ok=True)
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o777)  # every student writes submissions there (nbgrader's documented set-up)
    config = dest / "nbgrader_config.py"
    config.write_text(CONFIG.format(course_id=course_id, root=str(dest), db_url=f"sqlite:///{dest / 'gradebook.db'}",
                                    exchange=str(exchange),
                                    exclude={p.name: [f"assignment/{p.name}.py"] for p in parts})
                      + CODE_STUB_CONFIG + "\n")
    for part in parts:
        src = dest / "source" / part.name
        if src.exists():
            shutil.rmtree(src)
        src.mkdir(parents=True)
        shutil.copyfile(part.source_notebook, src / part.source_notebook.name)
        prepare_submission(ROOT, [], src)  # the helper modules, with the release stubs
        nbgrader(dest, "generate_assignment", part.name, "--force", "--log-level=ERROR")
    with open_gradebook(dest) as gb:
        for part in parts:
            add_package_assignment(gb, part)
    return config


# ------------------------------------------------------------------------------------ the gradebook
def course_config(course):
    from traitlets.config.loader import PyFileConfigLoader

    course = Path(course).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise SystemExit(f"{course} is not an nbgrader course (no nbgrader_config.py): "
                         "create it with `python -m grader course DIR`")
    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def course_folder(path):
    """argparse type for --gradebook: an existing course folder, checked before a long grading run."""
    if not (Path(path) / "nbgrader_config.py").is_file():
        import argparse

        raise argparse.ArgumentTypeError(f"{path} is not an nbgrader course (no nbgrader_config.py): "
                                         "create it with `python -m grader course DIR`")
    return path


def open_gradebook(course):
    from nbgrader.api import Gradebook

    config = course_config(course).CourseDirectory
    return Gradebook(config.db_url, course_id=config.course_id)


def add_package_assignment(gb, part, tests=None):
    """`<part>-package`: one graded cell per hidden test (names and points from the suite)."""
    from grader.grade import collect

    tests = tests if tests is not None else collect(part)
    name = package_assignment(part)
    gb.update_or_create_assignment(name)
    gb.update_or_create_notebook(PACKAGE_NOTEBOOK, name)
    for test in tests:
        gb.update_or_create_grade_cell(test["name"], PACKAGE_NOTEBOOK, name, max_score=test["max_score"],
                                       cell_type="code")


def record(course, table, parts, out):
    """Write every graded submission of `table` ({student: results.json}) into the course's gradebook,
    with the graded notebooks (found in `out`/<student>/) in autograded/<student>/<part>/."""
    course = Path(course).resolve()
    with open_gradebook(course) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush notes from inside nbgrader's add_submission
        for part in parts:
            try:
                gb.find_assignment(part.name)
            except Exception:  # noqa: BLE001  (nbgrader's MissingEntry)
                raise SystemExit(f"{course}: the gradebook has no assignment {part.name!r}; "
                                 f"refresh the course with `python -m grader course {course}`") from None
        for student, results in sorted(table.items()):
            gb.update_or_create_student(student)
            for part in parts:
                tests = [t for t in results["tests"] if part.name in t["tags"]]
                suite = [t for t in tests if not t["extra_data"]["test"].startswith("notebook:")]
                cells = [t for t in tests if t["extra_data"]["test"].startswith("notebook:")]
                _record_package(gb, course, part, student, suite)
                graded = Path(out) / student / f"{part.notebook}.ipynb"
                if cells and graded.is_file():
                    _record_notebook(gb, course, part, student, cells, graded)
    print(f"Scores written to the gradebook of {course} (assignments <part> and <part>-package)", file=sys.stderr)


def _record_package(gb, course, part, student, tests):
    name = package_assignment(part)
    known = {c.name for c in gb.find_notebook(PACKAGE_NOTEBOOK, name).grade_cells} if _has(gb, name) else set()
    if not _has(gb, name) or any(t["extra_data"]["test"] not in known for t in tests):
        add_package_assignment(gb, part, [{"name": t["extra_data"]["test"], "max_score": t["max_score"]}
                                          for t in tests])
    gb.update_or_create_submission(name, student)
    by_test = {t["extra_data"]["test"]: t for t in tests}
    for grade in gb.find_submission_notebook(PACKAGE_NOTEBOOK, name, student).grades:
        test = by_test.get(grade.name)
        grade.auto_score = test["score"] if test else 0.0
        grade.needs_manual_grade = False
    gb.db.commit()
    folder = course / "autograded" / student / name
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(_package_notebook(part, tests), folder / f"{PACKAGE_NOTEBOOK}.ipynb")


def _has(gb, assignment):
    try:
        gb.find_notebook(PACKAGE_NOTEBOOK, assignment)
        return True
    except Exception:  # noqa: BLE001  (MissingEntry)
        return False


def _package_notebook(part, tests):
    """The hidden suite's results as a notebook: one graded cell per test, its message as the output."""
    cells = [nbformat.v4.new_markdown_cell(
        f"# {part.title}: hidden tests of `assignment/{part.name}.py`\n\nRun by the course grader in its "
        "sandbox; each cell's score is in the gradebook, its message is below it.")]
    for test in tests:
        cell = nbformat.v4.new_code_cell(f"# {test['name']}", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=(test["output"] or "Passed.") + "\n")])
        cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "schema_version": 3,
                                     "grade_id": test["extra_data"]["test"], "points": test["max_score"]}
        cells.append(cell)
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})


def _record_notebook(gb, course, part, student, cells, graded):
    from nbgrader.utils import parse_utc

    stamp = course / "submitted" / student / part.name / "timestamp.txt"
    timestamp = parse_utc(stamp.read_text().strip()) if stamp.is_file() else None
    gb.update_or_create_submission(part.name, student, timestamp=timestamp)
    by_cell = {t["extra_data"]["test"].removeprefix("notebook:"): t for t in cells}
    for grade in gb.find_submission_notebook(part.notebook, part.name, student).grades:
        test = by_cell.get(grade.name)
        if test is None:
            continue
        kind = test["extra_data"]["kind"]
        if kind == "auto":
            grade.auto_score = test["score"]
        elif kind == "manual-graded":
            grade.manual_score = test["score"]
        grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
    gb.db.commit()
    folder = course / "autograded" / student / part.name
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(graded, folder / graded.name)


def stage_collected(course, dest, parts):
    """Copy what `nbgrader collect` put in course/submitted/<student>/<part>/ to dest/<student>/ laid out like
    the release (assignment/<part>.py, notebooks/<notebook>.ipynb); regular files only. Returns the folders."""
    submitted, dest = Path(course).resolve() / "submitted", Path(dest)
    folders = []
    for student in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.is_symlink()):
        for part in parts:
            for src, rel in ((student / part.name / "assignment" / f"{part.name}.py", f"assignment/{part.name}.py"),
                             (student / part.name / f"{part.notebook}.ipynb", f"notebooks/{part.notebook}.ipynb")):
                if src.is_file() and not any(p.is_symlink() for p in (src, src.parent, src.parent.parent)):
                    (dest / student.name / rel).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(src, dest / student.name / rel)
        if (dest / student.name).exists():
            folders.append(dest / student.name)
    return folders


def main(args):
    parts = select(args.part)
    if args.collected:
        course_config(args.dir)
        folders = stage_collected(args.dir, args.collected, parts)
        print(f"{len(folders)} collected submissions laid out in {args.collected}/<student>/; grade them with "
              f"`python -m grader grade {args.collected}/* --out DIR --gradebook {args.dir}`")
        return 0
    config = create(args.dir, exchange=args.exchange, course_id=args.course_id, parts=parts)
    names = ", ".join(p.name for p in parts)
    print(f"nbgrader course in {config.parent} (course id {args.course_id}): assignments {names} with their "
          f"released notebooks in release/, and {', '.join(package_assignment(p) for p in parts)} for the "
          f"hidden suites.\nNext: cd {config.parent} && nbgrader release_assignment {parts[0].name}; after "
          f"grading, `python -m grader grade ... --gradebook {config.parent}` fills the gradebook.")
    return 0
