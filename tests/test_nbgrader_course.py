"""The instructor's nbgrader course: created from the release, filled with the grader's scores, read by nbgrader."""
import csv
import json
import os
import shutil
import stat
import subprocess
import sys

import nbformat
import pytest

from grader import course
from grader import grade as grading
from grader.demo import complete, release_copy
from grader.grade import ClassGrader, collect
from grader.parts import PARTS, ROOT

CONV = PARTS["conv"]


def nbgrader(folder, *args):
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=folder, env=course.nbgrader_env(folder),
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def conv_course(tmp_path_factory):
    """`python -m grader course DIR --part conv --exchange PATH`, once for this module."""
    base = tmp_path_factory.mktemp("nbgrader")
    run = subprocess.run([sys.executable, "-m", "grader", "course", str(base / "cnn"), "--part", "conv",
                          "--exchange", str(base / "exchange")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return base / "cnn"


def test_course_is_a_working_nbgrader_course(conv_course):
    config = (conv_course / "nbgrader_config.py").read_text()
    assert "course_id = 'cnn-course'" in config and "gradebook.db" in config
    exchange = conv_course.parent / "exchange"
    assert stat.S_IMODE(os.stat(exchange).st_mode) == 0o777
    src = conv_course / "source" / "conv"
    assert (src / "01_conv_layer.ipynb").read_bytes() == CONV.source_notebook.read_bytes()
    assert (src / "assignment" / "conv.py").read_text() == (ROOT / "assignment" / "conv.py").read_text()
    assert (src / "assignment" / "checks.py").exists()
    released = nbformat.read(conv_course / "release" / "conv" / "01_conv_layer.ipynb", as_version=4)
    assert "### BEGIN SOLUTION" not in json.dumps(released)

    listing = nbgrader(conv_course, "db", "assignment", "list")
    assert "conv (" in listing and "conv-package (" in listing and "hidden-tests" in listing
    with course.open_gradebook(conv_course) as gb:
        assert [nb.name for nb in gb.find_assignment("conv").notebooks] == ["01_conv_layer"]
        cells = gb.find_notebook("hidden-tests", "conv-package").grade_cells
        suite = collect(CONV)
        assert {c.name: c.max_score for c in cells} == {t["name"]: t["max_score"] for t in suite}

    nbgrader(conv_course, "release_assignment", "conv")
    assert (exchange / "cnn-course" / "outbound" / "conv" / "01_conv_layer.ipynb").exists()

    # A student fetches, works and submits through the exchange; the instructor collects and lays it out.
    student = conv_course.parent / "student"
    student.mkdir()
    flags = [f"--Exchange.root={exchange}", "--course=cnn-course"]
    nbgrader(student, "fetch_assignment", "conv", *flags)
    shutil.copyfile(CONV.reference, student / "conv" / "assignment" / "conv.py")
    nbgrader(student, "submit", "conv", *flags)
    nbgrader(conv_course, "collect", "conv")
    staged = conv_course.parent / "staged"
    run = subprocess.run([sys.executable, "-m", "grader", "course", str(conv_course), "--part", "conv",
                          "--collected", str(staged)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    [folder] = staged.iterdir()
    assert (folder / "assignment" / "conv.py").read_text() == CONV.reference.read_text()
    assert (folder / "notebooks" / "01_conv_layer.ipynb").read_bytes() == (
        ROOT / "notebooks" / "01_conv_layer.ipynb").read_bytes()


class FakeNotebooks:
    """Stands in for nbgrader's autograding (20 s a notebook): every autograded cell right, written answers
    pending, and the release notebook saved as the graded one."""

    def __init__(self, part, *args, **kwargs):
        self.part = part

    def grade(self, root, name, outdir):
        nb = nbformat.read(self.part.source_notebook, as_version=4)
        outdir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "notebooks" / f"{self.part.notebook}.ipynb", outdir / f"{self.part.notebook}.ipynb")
        return [{"name": f"notebook:{m['grade_id']}", "title": m["grade_id"], "max_score": m["points"],
                 "score": 0 if c.cell_type == "markdown" else m["points"],
                 "kind": "manual" if c.cell_type == "markdown" else "auto", "output": ""}
                for c in nb.cells for m in [c.metadata.get("nbgrader", {})] if m.get("grade")]

    def close(self):
        pass


def test_grades_go_into_the_gradebook(conv_course, tmp_path, monkeypatch):
    out = tmp_path / "grades"
    alice, bob = complete(tmp_path / "alice", [CONV]), release_copy(tmp_path / "bob")
    # The command line, suites only (bob's work is the untouched release: no notebook scores for anyone).
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(alice), str(bob), "--out", str(out),
                          "--part", "conv", "--skip-notebooks", "--gradebook", str(conv_course)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    suite_max = sum(t["max_score"] for t in collect(CONV))
    with course.open_gradebook(conv_course) as gb:
        assert {s.id for s in gb.students} >= {"alice", "bob"}
        assert gb.find_submission("conv-package", "alice").score == suite_max > 0
        assert gb.find_submission("conv-package", "bob").score == 0
        with pytest.raises(Exception):
            gb.find_submission("conv", "alice")  # notebooks not graded: no notebook scores, not zeros
    hidden = nbformat.read(conv_course / "autograded" / "alice" / "conv-package" / "hidden-tests.ipynb", 4)
    assert len([c for c in hidden.cells if c.metadata.get("nbgrader", {}).get("grade")]) == len(collect(CONV))

    # alice's notebook graded (by the stand-in), then a written answer graded by hand in the formgrader.
    monkeypatch.setattr(grading, "NotebookGrader", FakeNotebooks)
    table = ClassGrader([CONV], out).grade_all([alice])
    course.record(conv_course, table, [CONV], out)
    assert (conv_course / "autograded" / "alice" / "conv" / "01_conv_layer.ipynb").exists()
    with course.open_gradebook(conv_course) as gb:
        notebook = gb.find_submission_notebook("01_conv_layer", "conv", "alice")
        assert notebook.code_score == 9 and notebook.needs_manual_grade
        gb.find_grade("written_im2col", "01_conv_layer", "conv", "alice").manual_score = 1.5
        gb.db.commit()
    course.record(conv_course, table, [CONV], out)  # graded again: the hand-given score stays
    with course.open_gradebook(conv_course) as gb:
        assert gb.find_grade("written_im2col", "01_conv_layer", "conv", "alice").score == 1.5
        assert gb.find_submission("conv", "alice").score == 10.5

    nbgrader(conv_course, "export", "--to", str(tmp_path / "export.csv"))
    rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(open(tmp_path / "export.csv"))}
    assert float(rows[("conv-package", "alice")]["score"]) == suite_max
    assert float(rows[("conv-package", "bob")]["score"]) == 0
    assert float(rows[("conv", "alice")]["score"]) == 10.5 and float(rows[("conv", "alice")]["max_score"]) == 16

    nbgrader(conv_course, "generate_feedback", "conv", "--student", "alice")
    nbgrader(conv_course, "generate_feedback", "conv-package", "--student", "alice")
    assert (conv_course / "feedback" / "alice" / "conv" / "01_conv_layer.html").exists()
    assert (conv_course / "feedback" / "alice" / "conv-package" / "hidden-tests.html").exists()


def test_gradebook_must_be_a_course(tmp_path):
    """A wrong --gradebook is refused before any grading, not after the whole class."""
    run = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path), "--out", str(tmp_path / "out"),
                          "--gradebook", str(tmp_path / "nowhere")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2 and "not an nbgrader course" in run.stderr
    assert not (tmp_path / "out").exists()
