"""The grading command line as instructors use it: zips, parts, resumable runs, clear errors."""
import csv
import json
import subprocess
import sys
import zipfile

from grader.demo import complete, release_copy
from grader.grade import apply_manual, load_manual
from grader.parts import ROOT, built_parts


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
    assert alice["extra_data"]["isolation"] in ("bwrap", "namespaces", "process")
    rows = {r["submission"]: r for r in csv.DictReader(open(out / "grades.csv"))}
    assert float(rows["bob"]["score"]) == 0 and float(rows["alice"]["conv"]) == alice["score"]
    assert "alice" in first.stdout and (out / "bob" / "feedback.html").exists()

    second = grader("grade", str(good), str(tmp_path / "bob.zip"), "--out", str(out), "--part", "conv",
                    "--skip-notebooks")
    assert second.returncode == 0 and "reused alice" in second.stderr
    assert json.loads((out / "alice" / "results.json").read_text()) == alice


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
    run = grader("grade", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), "--skip-notebooks")
    assert "skipped" in run.stderr and "missing" in run.stderr
    run = grader("grade", str(tmp_path), "--out", str(tmp_path / "o"), "--part", "nonsense")
    assert run.returncode != 0 and "conv" in run.stderr
