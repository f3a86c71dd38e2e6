"""The submit cell at the end of each notebook: the zip it builds is read by the grader's submission reader and
graded like any submission; on Colab it saves the notebook first (Colab's get_ipynb, simulated here) and offers
the zip for download; while the grader runs the notebook it builds nothing; it never stops a notebook."""
import json
import subprocess
import sys
import types
import zipfile

import nbformat
import pytest

from assignment import submit
from grader.demo import complete, release_copy
from grader.notebook import answer_key
from grader.parts import ALL_PARTS, PARTS, ROOT, built_parts
from grader.submission import gather, wanted_files

BUILT = built_parts()


@pytest.fixture
def local(monkeypatch):
    """Not on Colab, not graded, and no kernel history (outside IPython)."""
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    for name in ("COLAB_RELEASE_TAG", "COURSE_GRADING", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(submit, "executed_inputs", lambda: [])


def test_parts_table_matches_the_course():
    assert submit.NOTEBOOKS == {p.name: p.notebook for p in ALL_PARTS}


def test_every_notebook_ends_with_its_submit_cell():
    for part in BUILT:
        cells = nbformat.read(ROOT / "notebooks" / f"{part.notebook}.ipynb", as_version=4).cells
        assert cells[-1].cell_type == "code" and cells[-1].source.endswith(f'submit.build("{part.name}")')
        assert "nbgrader" not in cells[-1].metadata and "nbgrader" not in cells[-2].metadata
        assert cells[-2].source.startswith("## Submitting")


def test_zip_holds_what_the_grader_reads_for_every_part(tmp_path, local, capsys):
    course = complete(tmp_path / "course", BUILT)
    for part in BUILT:
        made = submit.build(part.name, root=course)
        assert made == course / "submissions" / f"submission-{part.notebook}.zip"
        with zipfile.ZipFile(made) as zf:
            assert sorted(zf.namelist()) == sorted(f"submission-{part.notebook}/{rel}" for rel in wanted_files([part]))
        dest = tmp_path / "read" / part.name
        dest.mkdir(parents=True)
        assert gather(made, dest, [part]) == []
        for rel in wanted_files([part]):
            assert (dest / rel).read_bytes() == (course / rel).read_bytes(), rel
    out = capsys.readouterr()
    assert out.err == ""
    assert "save it (Ctrl+S)" in out.out and "no stub left" in out.out
    assert "0 of" not in out.out.split("In this submission:")[-1]  # the reference answers them all


def test_submitted_zip_gets_full_marks(tmp_path, local):
    """The zip of a complete conv notebook, graded by the grader's command line as instructors run it."""
    made = submit.build("conv", root=complete(tmp_path / "course", BUILT))
    zipped = tmp_path / "alice.zip"
    made.rename(zipped)
    out = tmp_path / "grades"
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(zipped), "--out", str(out), "--part", "conv",
                           "--skip-notebooks"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "alice" / "results.json").read_text())
    assert results["score"] == results["extra_data"]["max_score"] > 0, results["output"]


def test_release_copy_reports_every_question_open(tmp_path, local, capsys):
    course = release_copy(tmp_path / "empty")
    assert submit.build("pooling", root=course) is not None
    line = capsys.readouterr().out.splitlines()[-2]
    part = PARTS["pooling"]
    short = len(answer_key(part.source_notebook))
    assert f"0 of {short} short answers and 0 of " in line and "written answers given" in line
    assert "function(s) not written yet" in line


def test_colab_saves_the_notebook_restores_its_marks_and_downloads_the_zip(tmp_path, monkeypatch, capsys):
    course = complete(tmp_path / "course", BUILT)
    part = PARTS["conv"]
    released = json.loads((course / "notebooks" / f"{part.notebook}.ipynb").read_text())
    in_colab = json.loads(json.dumps(released))
    for cell in in_colab["cells"]:  # what Colab hands over: its own metadata, the grading marks possibly gone
        cell["metadata"] = {"id": cell.pop("id", "")}
    in_colab["cells"].append({"cell_type": "code", "metadata": {}, "source": ["print('a cell of my own')"],
                              "outputs": [], "execution_count": None})
    requests, downloads = [], []

    def blocking_request(kind, request="", timeout_sec=5, parent=None):
        requests.append((kind, timeout_sec))
        return {"ipynb": in_colab}

    google_colab = types.ModuleType("google.colab")
    google_colab._message = types.SimpleNamespace(blocking_request=blocking_request)
    google_colab.files = types.SimpleNamespace(download=downloads.append)
    monkeypatch.setitem(sys.modules, "google.colab", google_colab)
    monkeypatch.delenv("COURSE_GRADING", raising=False)

    made = submit.build("conv", root=course)
    assert requests == [("get_ipynb", 60)] and downloads == [str(made)]
    saved = json.loads((course / "notebooks" / f"{part.notebook}.ipynb").read_text())
    assert saved["cells"][-1]["source"] == ["print('a cell of my own')"]
    marks = lambda nb: [c["metadata"].get("nbgrader") for c in nb["cells"][:len(released["cells"])]]
    assert marks(saved) == marks(released), "the grading marks are given back"
    dest = tmp_path / "read"
    dest.mkdir()
    gather(made, dest, [part])
    assert json.loads((dest / "notebooks" / f"{part.notebook}.ipynb").read_text()) == saved
    assert capsys.readouterr().err == ""


def test_colab_without_the_notebook_builds_nothing(tmp_path, monkeypatch, capsys):
    google_colab = types.ModuleType("google.colab")
    google_colab._message = types.SimpleNamespace(blocking_request=lambda *a, **k: (_ for _ in ()).throw(TimeoutError("timed out")))
    monkeypatch.setitem(sys.modules, "google.colab", google_colab)
    monkeypatch.delenv("COURSE_GRADING", raising=False)
    course = complete(tmp_path / "course", [PARTS["conv"]])
    assert submit.build("conv", root=course) is None
    assert "File > Download" in capsys.readouterr().out and not (course / "submissions").exists()


def test_graded_notebook_builds_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_GRADING", "1")
    course = release_copy(tmp_path / "course")
    assert submit.build("conv", root=course) is None
    assert "not built" in capsys.readouterr().out and not (course / "submissions").exists()


def test_a_failure_is_a_message_not_an_error(tmp_path, local, capsys):
    assert submit.build("conv", root=tmp_path) is None  # no course there
    out = capsys.readouterr()
    assert "could not be built" in out.out and out.err == ""


def test_unsaved_answers_are_named():
    nb = {"cells": [{"cell_type": "code", "source": "q_a = 1\n"}, {"cell_type": "code", "source": ["q_b = 3"]}]}
    assert submit.unsaved_answers(["q_a = 1", "q_a = 2\nq_b = 3", "x = 1"], nb) == ["q_a"]
    assert submit.unsaved_answers(["q_a = 2", "q_a = 1  "], nb) == []
