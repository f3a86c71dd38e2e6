"""The grading command line as instructors use it: zips, parts, resumable runs, clear errors."""
import csv
import json
import subprocess
import sys
import zipfile

from grader import grade as grading
from grader.demo import complete, mark_skipped, release_copy
from grader.grade import ClassGrader, apply_manual, load_manual
from grader.parts import PARTS, ROOT, built_parts
from grader.report import class_table


def grader(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True)


def test_grade_zip_and_folder_then_resume(tmp_path):
    good = complete(tmp_path / "alice", built_parts())
    with zipfile.ZipFile(tmp_path / "bob.zip", "w") as zf:
        for path in release_copy(tmp_path / "bob-src").rglob("*"):
            zf.write(path, "bob/" + str(path.relative_to(tmp_path / "bob-src")))
    out = tmp_path / "out"
    first = grader("grade", str(good), str(tmp_path / "bob.zip"), "--out", str(out), "--part", "conv",
                   "--skip-notebooks", "--jobs", "2")
    assert first.returncode == 0, first.stderr
    alice = json.loads((out / "alice" / "results.json").read_text())
    assert alice["score"] == alice["extra_data"]["max_score"] > 0
    assert {"name", "score", "max_score", "output", "visibility", "tags"} <= set(alice["tests"][0])
    assert all(t["tags"] == ["conv"] for t in alice["tests"])
    assert alice["extra_data"]["isolation"] in ("namespaces", "process")
    assert alice["extra_data"]["notebooks"] == "skipped" and "not graded" in alice["output"]
    rows = {r["submission"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert float(rows["bob"]["score"]) == 0 and float(rows["alice"]["conv"]) == alice["score"]
    assert "alice" in first.stdout and (out / "bob" / "feedback.html").exists()

    second = grader("grade", str(good), str(tmp_path / "bob.zip"), "--out", str(out), "--part", "conv",
                    "--skip-notebooks")
    assert second.returncode == 0 and "reused alice" in second.stderr
    assert json.loads((out / "alice" / "results.json").read_text()) == alice


def test_notebooks_skipped_per_submission(tmp_path, monkeypatch):
    """grade_all(skip_notebooks=...) grades those submissions by the suites only, and says so everywhere."""
    graded = []

    class FakeNotebooks:  # stands in for nbgrader (20 s a notebook): one 2-point cell, always right
        def __init__(self, part, *args, **kwargs):
            self.part = part

        def grade(self, root, student, outdir):
            graded.append(student)  # a short id, never the student's name (it ends up in socket paths)
            return [{"name": "notebook:q", "title": f"{self.part.notebook} q", "score": 2, "max_score": 2,
                     "output": "Correct.", "kind": "auto"}]

        def close(self):
            pass

    monkeypatch.setattr(grading, "NotebookGrader", FakeNotebooks)
    conv = [PARTS["conv"]]
    alice, bob = str(complete(tmp_path / "alice", conv)), str(complete(tmp_path / "bob", conv))
    out = tmp_path / "out"
    table = ClassGrader(conv, out, jobs=2).grade_all([alice, bob], skip_notebooks=[bob])
    assert graded == ["s0001"]
    a, b = table["alice"], table["bob"]
    assert a["extra_data"]["notebooks"] == "graded" and b["extra_data"]["notebooks"] == "skipped"
    assert [t for t in a["tests"] if t["extra_data"]["test"] == "notebook:q"]
    assert not [t for t in b["tests"] if t["extra_data"]["test"].startswith("notebook:")]  # absent, not zero
    assert b["score"] == b["extra_data"]["max_score"] == a["extra_data"]["max_score"] - 2 > 0
    assert "not graded" in b["output"] and "not graded" not in a["output"]
    assert "not graded" in (out / "bob" / "feedback.html").read_text()
    assert json.loads((out / "bob" / "results.json").read_text()) == b
    text = mark_skipped(class_table(table, conv), table)
    rows = {line.split()[0]: line for line in text.splitlines() if line.startswith(("alice ", "bob "))}
    assert rows["bob"].endswith(" *") and not rows["alice"].endswith("*") and "notebooks not graded" in text

    # Graded again with its notebooks, bob is graded anew, not given the suites-only result; alice is reused.
    again = ClassGrader(conv, out).grade_all([alice, bob])
    assert graded == ["s0001", "s0002"] and again["alice"] == a
    assert again["bob"]["score"] == a["score"] and again["bob"]["extra_data"]["notebooks"] == "graded"
    assert mark_skipped(class_table(again, conv), again) == class_table(again, conv)


def test_manual_scores_are_applied(tmp_path):
    records = [{"name": "notebook:why_sharing", "score": 0, "max_score": 3, "kind": "manual", "output": "pending"},
               {"name": "notebook:q_shape", "score": 0, "max_score": 2, "kind": "auto", "output": ""}]
    scores = tmp_path / "manual.csv"
    scores.write_text("submission,cell,score\ncarol,why_sharing,7\ncarol,q_shape,2\n")
    apply_manual(records, "carol", load_manual(scores))
    assert records[0]["score"] == 3 and records[0]["kind"] == "manual-graded"  # clamped to the cell's points
    assert records[1]["score"] == 0  # autograded cells cannot be overridden by hand
    bad = tmp_path / "bad.csv"
    bad.write_text("submission,cell,score\ncarol,x,lots\n")
    run = grader("grade", str(tmp_path), "--out", str(tmp_path / "o"), "--manual", str(bad), "--skip-notebooks")
    assert run.returncode != 0 and "numeric score" in run.stderr


def test_clear_errors(tmp_path):
    run = grader("grade", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--skip-notebooks", "--part", "conv")
    assert run.returncode == 0 and "cannot read" in run.stderr and "missing" in run.stderr
    row = next(csv.DictReader(open(tmp_path / "o" / "grades.csv")))
    assert row["submission"] == "missing" and float(row["score"]) == 0 and "no such file" in row["problem"]
    run = grader("grade", str(tmp_path), "--out", str(tmp_path / "o"), "--part", "nonsense")
    assert run.returncode != 0 and "conv" in run.stderr
