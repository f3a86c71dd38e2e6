"""Grade a submission's notebook with nbgrader, its kernel confined like the package sandbox.

Each submission gets its own scratch nbgrader course folder (so runs never touch each other or the real
course). nbgrader restores the locked and hidden test cells, runs the notebook, and records scores in the
scratch gradebook. Because student code shares the kernel with the test cells, those scores alone could be
faked (a silenced traceback looks like a pass). So every autograded test cell reports the student's answer
as plain data (`ANSWER {...}` lines printed by `assignment.checks.check_answer`) and the trusted side
compares it with the answer key taken from the source notebook: a cell scores only when both agree.

The kernel runs in the package's sandbox (grader/sandbox.py) over its own copy of the submission's files, in
a private tmpfs: nothing it writes reaches a folder the trusted side reads or writes later. Its only window
to the host is a small folder for its sockets, which the sandbox's monitor keeps small.
"""
import ast
import json
import math
import operator
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.monotonic()  # a grading's phases are timed from here: what follows counts as imports

import nbformat  # noqa: E402

from grader.parts import ROOT  # noqa: E402
from grader.release import CODE_STUB_CONFIG  # noqa: E402
from grader.sandbox import launcher, prepare_submission, secret_paths  # noqa: E402
from grader.submission import submission_file  # noqa: E402
from grader.worker import PARENT_VARIABLE, die_with_parent  # noqa: E402

ANSWER_LINE = re.compile(r"^ANSWER (\{.*\})\s*$", re.M)
CHECK_CALL = re.compile(r"check_answer\(\s*[\"'](\w+)[\"']")
CONFIG = """\
c = get_config()
c.CourseDirectory.root = {root!r}
c.Autograde.exclude_overwriting = {{{part!r}: [{module!r}]}}
c.Autograde.create_student = True
c.IgnorePattern.pattern = r"(?i)warning"
c.Execute.kernel_name = "course-sandbox"
c.Execute.timeout = {timeout}
c.Execute.allow_errors = True
c.KernelManager.transport = "ipc"
c.KernelManager.ip = {ipc!r}
c.KernelManager.connection_file = {connection!r}
"""


# --------------------------------------------------------------------------------- the answer key
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
        ast.USub: operator.neg, ast.UAdd: operator.pos}


def literal_value(node):
    """Evaluate a literal or arithmetic expression of literals (no names, no calls)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, bool, str)):
        return node.value
    if isinstance(node, (ast.Tuple, ast.List)):
        return [literal_value(e) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](literal_value(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](literal_value(node.left), literal_value(node.right))
    raise ValueError(f"not a literal: {ast.unparse(node)}")


def answer_key(notebook_path):
    """{answer name: value} from the solution regions of the source notebook (`q_name = <literal>`)."""
    key = {}
    for cell in nbformat.read(notebook_path, as_version=4).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            for node in ast.parse(_solution_region(cell.source)).body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    key[node.targets[0].id] = literal_value(node.value)
    return key


def _solution_region(source):
    match = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", source, re.S)
    return match.group(1) if match else ""


def answers_match(given, expected):
    if isinstance(expected, bool) or isinstance(given, bool):
        return given is expected
    if isinstance(expected, int):  # counts are exact, whatever type reports them: 27,657,001 is not 27,657,000
        return isinstance(given, (int, float)) and given == expected
    if isinstance(expected, (int, float)):
        return isinstance(given, (int, float)) and math.isclose(given, expected, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(expected, str):
        return isinstance(given, str) and given.strip().lower() == expected.strip().lower()
    if isinstance(expected, list):
        return isinstance(given, list) and len(given) == len(expected) and all(
            answers_match(g, e) for g, e in zip(given, expected))
    return False


def reported_answers(cell):
    """The answers a graded cell printed (`ANSWER {"name": ..., "value": ...}`); the last one wins."""
    found = {}
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            for match in ANSWER_LINE.finditer(output.get("text", "")):
                try:
                    record = json.loads(match.group(1))
                    found[str(record["name"])] = record["value"]
                except (ValueError, KeyError, TypeError):
                    continue
    return found


# ------------------------------------------------------------------------------------ the grading
class NotebookGrader:
    """nbgrader autograding for one part; the scratch gradebook template is built once per run."""

    def __init__(self, part, level, timeout=600, smoke=True, hidden=()):
        self.part, self.level, self.timeout, self.smoke = part, level, timeout, smoke
        self.hidden = [*secret_paths(), *hidden]
        self.phases = {}  # {student: {phase: seconds}} of the last grading of each student
        self.template = tempfile.TemporaryDirectory(prefix="course-nbgrader-template-")
        course = Path(self.template.name)
        src = course / "source" / part.name
        src.mkdir(parents=True)
        shutil.copyfile(part.source_notebook, src / part.source_notebook.name)
        prepare_submission(ROOT, [], src)  # the trusted helper modules, with the release stubs
        failure = self._run(course)
        if failure:
            raise RuntimeError(f"nbgrader generate_assignment failed for {part.name}: {failure}")

    def close(self):
        self.template.cleanup()

    def _run(self, course, student=""):
        """Run the nbgrader steps in a child process (see `steps`); returns its JSON answer."""
        (course / "nbgrader_config.py").write_text(CONFIG.format(
            root=str(course), part=self.part.name, module=f"assignment/{self.part.name}.py",
            timeout=self.timeout, ipc=str(course / "k" / "ipc"), connection=str(course / "k" / "kernel.json"))
            + CODE_STUB_CONFIG + "\n")
        env = {"PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               "HOME": str(course), "JUPYTER_PATH": str(course), "JUPYTER_RUNTIME_DIR": str(course / "runtime"),
               "JUPYTER_CONFIG_DIR": str(course / "config"), "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore",
               "COURSE_SMOKE": "1" if self.smoke else "0", "LANG": "C.UTF-8", "PYTHONPATH": str(ROOT)}
        log = course / "nbgrader-log.txt"
        with open(log, "w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "grader.notebook", str(course), self.part.name, student],
                                    cwd=course, env=env, stdout=subprocess.PIPE, stderr=err, text=True,
                                    start_new_session=True)
            try:
                out, _ = proc.communicate(timeout=self.timeout * 4)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # nbgrader and the kernel's sandbox with it
                proc.communicate()
                return f"the notebook did not finish within {self.timeout * 4:g} seconds"
        try:
            return json.loads(out.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return "nbgrader did not finish"

    def _write_kernelspec(self, course, files):
        """A kernel that starts inside the sandbox over a copy of `files`, seeing neither the answers nor
        anyone else's work, and writing nowhere but its sockets folder."""
        spec = course / "kernels" / "course-sandbox"
        spec.mkdir(parents=True)
        hidden = [str(p) for p in self.hidden if Path(p).exists()]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
               "COURSE_SMOKE": "1" if self.smoke else "0", "PYTHONWARNINGS": "ignore",
               "COURSE_GRADING": "1",  # the notebooks' submit cell builds nothing while graded
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        argv = launcher(course / "kernel", self.level, files, hidden, sockets=course / "k", env=env,
                        command=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                        **KERNEL_LIMITS, cpu=self.timeout * 2, total_cpu=self.timeout * 4)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": argv, "display_name": "Python 3 (course sandbox)", "language": "python"}))

    def grade(self, submission, student, outdir):
        """Autograde `submission`'s notebook; return test records and save the graded notebook and feedback."""
        part, started = self.part, time.monotonic()
        with tempfile.TemporaryDirectory(prefix="course-nbgrader-") as tmp:
            course = Path(tmp)
            shutil.copytree(Path(self.template.name) / "source", course / "source")
            for path in (course / "source").rglob("*"):  # the answer key is read, never written, from here on
                if path.is_file():
                    path.chmod(0o444)
            shutil.copyfile(Path(self.template.name) / "gradebook.db", course / "gradebook.db")
            sub = course / "submitted" / student / part.name
            sub.mkdir(parents=True)
            problem = _copy_notebook(submission, f"notebooks/{part.notebook}.ipynb", sub / f"{part.notebook}.ipynb")
            if problem:
                return all_zero(part, problem)
            prepare_submission(submission, [part.name], sub)
            files = prepare_submission(submission, [part.name], course / "kernel-files").parent
            (course / "k").mkdir(mode=0o700)
            self._write_kernelspec(course, files)
            clock = time.monotonic()
            answer = self._run(course, student)
            run_seconds = time.monotonic() - clock
            records = answer["records"] if isinstance(answer, dict) else answer
            if isinstance(answer, dict):
                phases = answer["phases"]
                phases["kernel start and nbgrader's steps"] = phases.pop("autograde") - phases["cells"]
                phases["process start"] = run_seconds - sum(phases.values())
                phases["set-up and copies"] = time.monotonic() - started - run_seconds
                self.phases[student] = phases
            outdir.mkdir(parents=True, exist_ok=True)
            if not isinstance(records, list):  # keep nbgrader's log for the instructor
                log = course / "nbgrader-log.txt"
                (outdir / f"{part.notebook}.grading-log.txt").write_text(
                    log.read_text(errors="replace")[-200_000:] if log.is_file() else "no log was written\n")
                return all_zero(part, f"The notebook could not be graded: {records}")
            copy_bounded(course / "autograded" / student / part.name / f"{part.notebook}.ipynb",
                         outdir / f"{part.notebook}.ipynb", notebook=True)
            copy_bounded(course / "feedback" / student / part.name / f"{part.notebook}.html",
                         outdir / f"{part.notebook}.html")
            return records


def trusted_scores(course, part, student):
    """Scores per graded cell: nbgrader's, capped by the trusted answer check; written back to the gradebook
    so that nbgrader's own feedback shows the same scores."""
    from nbgrader.api import Gradebook

    key = answer_key(course / "source" / part.name / f"{part.notebook}.ipynb")
    graded = course / "autograded" / student / part.name / f"{part.notebook}.ipynb"
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nbformat.read(graded, as_version=4).cells}
    records = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(part.notebook, part.name, student)
        for grade in sorted(nb.grades, key=lambda g: g.name):
            if grade.cell.cell_type == "markdown" or grade.auto_score is None:
                records.append(_record(part, grade.name, 0, grade.max_score, "manual",
                                       "Written answer: graded by your instructor."))
                continue
            verdict = check_answers(cells.get(grade.name), key)
            score = grade.auto_score if verdict is None else 0.0
            if score != grade.auto_score:
                grade.auto_score = score
                gb.db.commit()
            output = verdict or ("Correct." if score == grade.max_score else
                                 "The test cell failed; open the graded notebook to see the error.")
            records.append(_record(part, grade.name, score, grade.max_score, "auto", output))
    return records


def check_answers(cell, key):
    """None when every answer the cell checks matches the key, else a message for the student."""
    names = CHECK_CALL.findall(cell.get("source", "")) if cell else []
    if not names:
        return "This test cell is missing or was changed."
    given = reported_answers(cell)
    for name in names:
        if name not in given:
            return f"No answer for {name} was recorded (did the cells above run without errors?)."
        if name not in key or not answers_match(given[name], key[name]):
            return wrong_answer(name, given[name], key.get(name))
    return None


def wrong_answer(name, given, expected):
    """What is wrong with an answer, as far as saying it does not give the right one away."""
    shown = repr(given) if len(repr(given)) < 60 else repr(given)[:57] + "..."
    hint = ""
    if isinstance(expected, int) and not isinstance(expected, bool):
        hint = " A count is exact: give the whole number, not an estimate."
    elif isinstance(expected, list) and not (isinstance(given, list) and len(given) == len(expected)):
        hint = f" The answer is a list of {len(expected)} values."
    elif isinstance(expected, bool) and not isinstance(given, bool):
        hint = " The answer is True or False."
    return f"Your answer {name} = {shown} is not correct.{hint} Check it against the question and try again."


def _record(part, grade_id, score, max_score, kind, output):
    return {"name": f"notebook:{grade_id}", "title": f"{part.notebook} {grade_id}", "score": score,
            "max_score": max_score, "output": output, "kind": kind}


def all_zero(part, message):
    """Zero for every graded cell of the part's notebook, with one message (the notebook could not run)."""
    nb = nbformat.read(part.source_notebook, as_version=4)
    return [_record(part, m["grade_id"], 0, m.get("points", 0), "manual" if c.cell_type == "markdown" else "auto",
                    message)
            for c in nb.cells for m in [c.metadata.get("nbgrader", {})] if m.get("grade")]


def steps(course, part_name, student):
    """The child process: generate_assignment (no student), or autograde + trusted scores + feedback."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    from grader.parts import PARTS

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    api = NbGraderAPI(CourseDirectory(config=config), config=config)
    if not student:
        done = api.generate_assignment(part_name, force=True)
        return None if done["success"] else _reason(done.get("error") or done.get("log"))
    phases, clock = {"nbgrader imports": time.monotonic() - STARTED}, time.monotonic()
    done = api.autograde(part_name, student, force=True, create=True)
    if not done["success"]:
        print(done.get("log", ""), done.get("error", ""), file=sys.stderr)
        return _reason(done.get("error") or done.get("log"))
    phases["autograde"], clock = time.monotonic() - clock, time.monotonic()
    part = PARTS[part_name]
    records = trusted_scores(Path(course), part, student)
    phases["trusted scores"], clock = time.monotonic() - clock, time.monotonic()
    api.generate_feedback(part_name, student, force=True)
    phases["feedback"] = time.monotonic() - clock
    phases["cells"] = cells_seconds(Path(course) / "autograded" / student / part_name / f"{part.notebook}.ipynb")
    return {"records": records, "phases": phases}


def cells_seconds(path):
    """Seconds the kernel spent running the notebook's cells (nbclient's timestamps in each cell)."""
    from datetime import datetime

    total = 0.0
    for cell in nbformat.read(path, as_version=4).cells:
        stamps = cell.get("metadata", {}).get("execution", {})
        try:
            total += (datetime.fromisoformat(stamps["shell.execute_reply"].replace("Z", "+00:00"))
                      - datetime.fromisoformat(stamps["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()
        except (KeyError, ValueError, TypeError):
            continue
    return total


KERNEL_LIMITS = {"memory": 4 << 30, "total_memory": 6 << 30, "processes": 128, "disk": 256 << 20}
OUTPUT_LIMIT = 8 << 20  # bytes of a graded notebook kept for the student; larger outputs are cut


def copy_bounded(src, dest, notebook=False, limit=OUTPUT_LIMIT):
    """Copy a file the grading made (never a link) into the results; a notebook over `limit` keeps its cells
    with their outputs cut short, any other file over it is left out."""
    if not src.is_file() or src.is_symlink():
        return
    if src.stat().st_size <= limit:
        shutil.copyfile(src, dest)
    elif notebook:
        nb = nbformat.read(src, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and len(json.dumps(cell.get("outputs", []))) > limit // 64:
                cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=(
                    "[output removed by the grader: it was larger than "
                    f"{limit // 64 >> 10} KiB]\n"))]
        nbformat.write(nb, dest)


def _copy_notebook(submission, rel, dest):
    """Copy the student's notebook if it is a readable notebook; else say what is wrong."""
    src = submission_file(submission, rel)  # never through a link
    if src is None:
        return f"{Path(rel).name} is missing from the submission."
    try:
        nbformat.read(src, as_version=4)
    except Exception as exc:  # noqa: BLE001  (any parse failure means the same to the student)
        return f"{src.name} is not a readable notebook ({type(exc).__name__}); submit the .ipynb file itself."
    shutil.copyfile(src, dest)
    return None


def _reason(log):
    """The most telling line of an nbgrader failure log (its last exception that is not a summary)."""
    lines = [line.strip() for line in (log or "").splitlines()
             if ("Error" in line or "Exception" in line) and "see the" not in line]
    return lines[-1][:300] if lines else "nbgrader failed (see the grading log)"


if __name__ == "__main__":
    die_with_parent()  # a grader that is killed takes its nbgrader runs, and so their kernels, with it
    os.environ[PARENT_VARIABLE] = str(os.getpid())  # the kernels we start check that we are still there
    print(json.dumps(steps(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "")))
