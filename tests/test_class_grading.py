"""Grading a whole class: one submission never breaks the rest, zips are read with bounds, the seed is secret,
shards merge into one class, and the reports say what they mean.

Most tests stand a fake suite in for the hidden one (`fast`), so that they check the class-level machinery in
a fraction of a second; tests/test_cli.py and tests/test_hostile.py run the real suites."""
import csv
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import grade as grading
from grader import merge as merging
from grader import report, submission
from grader.demo import release_copy
from grader.grade import ClassGrader, assign_names, in_shard, parse_shard, unpack
from grader.parts import PARTS, ROOT
from grader.submission import SubmissionError, submission_file

CONV = [PARTS["conv"]]
RIGHT = "# right\n"


@pytest.fixture
def fast(monkeypatch):
    """A stand-in suite: 2 points when assignment/conv.py says '# right'; records the seeds it was given."""
    seeds = []

    def run_suite(part, root, seed, level, timeout):
        seeds.append(seed)
        module = Path(root) / "assignment" / f"{part.name}.py"
        ok = module.is_file() and module.read_text() == RIGHT
        if module.is_file() and module.read_text() == "# crash\n":
            raise RuntimeError("the grader tripped")
        return [{"name": "test_one", "title": "one thing", "max_score": 2, "score": 2 if ok else 0,
                 "output": "" if ok else "wrong", "kind": "auto"}]

    monkeypatch.setattr(grading, "run_suite", run_suite)
    monkeypatch.setattr(grading, "collect_all", lambda parts: {p.name: [
        {"name": "test_one", "title": "one thing", "max_score": 2, "score": 0, "output": ""}] for p in parts})
    return seeds


def folder(path, text=RIGHT):
    (path / "assignment").mkdir(parents=True)
    (path / "assignment" / "conv.py").write_text(text)
    return path


def zipped(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return path


def rows(out):
    return {r["submission"]: r for r in csv.DictReader(open(out / "grades.csv"))}


# ----------------------------------------------------------------------------- one never breaks all
def test_a_crash_costs_only_that_student(tmp_path, fast, capsys):
    subs = [folder(tmp_path / "alice"), folder(tmp_path / "bob", "# crash\n"), folder(tmp_path / "carol")]
    out = tmp_path / "out"
    table = ClassGrader(CONV, out, notebooks=False).grade_all(subs)
    assert table["alice"]["score"] == table["carol"]["score"] == 2
    bob = json.loads((out / "bob" / "results.json").read_text())
    assert bob["score"] == 0 and bob["extra_data"]["max_score"] == 2 and "the grader tripped" in bob["output"]
    assert "could not be graded" in (out / "bob" / "feedback.html").read_text()
    assert "the grader tripped" in rows(out)["bob"]["problem"] and rows(out)["alice"]["problem"] == ""
    assert "RuntimeError" in capsys.readouterr().err
    # a failure is tried again next time, a success is reused
    (tmp_path / "bob" / "assignment" / "conv.py").write_text(RIGHT)
    again = ClassGrader(CONV, out, notebooks=False).grade_all(subs)
    assert again["bob"]["score"] == 2 and again["alice"] == table["alice"]


def test_unreadable_zips_get_a_row_and_a_reason(tmp_path, fast, capsys):
    good = zipped(tmp_path / "good.zip", {"good/assignment/conv.py": RIGHT})
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip at all " * 50)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good.read_bytes()[:40])
    latin = zipped(tmp_path / "latin.zip", {"assignment/conv\u00e9.py": "x", "assignment/conv.py": RIGHT})
    latin.write_bytes(latin.read_bytes().replace("\u00e9".encode(), b"\xff\xfe"))  # flagged UTF-8, is not
    subs = [good, garbage, truncated, latin, tmp_path / "absent.zip"]
    out = tmp_path / "out"
    ClassGrader(CONV, out, notebooks=False).grade_all(subs)
    found = rows(out)
    assert set(found) == {"good", "garbage", "truncated", "latin", "absent"}
    assert float(found["good"]["score"]) == 2 and found["good"]["problem"] == ""
    assert "not a readable zip" in found["garbage"]["problem"] and "not a readable zip" in found["truncated"]["problem"]
    assert "UTF-8" in found["latin"]["problem"] and "no such file" in found["absent"]["problem"]
    err = capsys.readouterr().err
    assert all(f"cannot read {s}" in err for s in subs[1:])
    assert "not a readable zip" in json.loads((out / "garbage" / "results.json").read_text())["output"]


def test_zips_unpack_only_what_is_graded_within_bounds(tmp_path, monkeypatch):
    archive = zipped(tmp_path / "a.zip", {**{f"top/junk/{i}.txt": "" for i in range(30)},
                                          "top/assignment/conv.py": RIGHT, "top/notebooks/01_conv_layer.ipynb": "{}",
                                          "top/assignment/pooling.py": "not graded in this run", "../up.py": "x"})
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    root = unpack(archive, scratch, CONV)
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == \
        ["assignment/conv.py", "notebooks/01_conv_layer.ipynb"]
    monkeypatch.setattr(submission, "MAX_ENTRIES", 20)
    with pytest.raises(SubmissionError, match="entries"):
        unpack(archive, scratch, CONV)
    monkeypatch.setattr(submission, "MAX_ENTRIES", 1000)
    monkeypatch.setattr(submission, "MAX_FILE_BYTES", 100)
    big = zipped(tmp_path / "big.zip", {"assignment/conv.py": "#" * 1000})
    with pytest.raises(SubmissionError, match="larger than"):
        unpack(big, scratch, CONV)
    two = zipped(tmp_path / "two.zip", {"a/assignment/conv.py": RIGHT, "b/assignment/conv.py": RIGHT})
    with pytest.raises(SubmissionError, match="several submissions"):
        unpack(two, scratch, CONV)


def test_symbolic_links_in_a_zip_are_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("assignment/conv.py")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, str(ROOT / "solutions" / "conv.py"))
    notes = []
    root = unpack(archive, tmp_path, CONV, notes)
    assert not (root / "assignment" / "conv.py").exists() and "symbolic link" in notes[0]


def test_submission_file_trusts_only_real_files(tmp_path):
    sub = folder(tmp_path / "sub")
    assert submission_file(sub, "assignment/conv.py") == sub / "assignment" / "conv.py"
    assert submission_file(sub, "assignment/missing.py") is None
    assert submission_file(sub, "../sub/assignment/conv.py") is None
    assert submission_file(sub, "/etc/passwd") is None
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "assignment").symlink_to(ROOT / "solutions")  # a parent that is a link
    assert submission_file(linked, "assignment/conv.py") is None
    (sub / "assignment" / "dilation.py").symlink_to(ROOT / "solutions" / "dilation.py")  # the file is a link
    assert submission_file(sub, "assignment/dilation.py") is None
    os.mkfifo(sub / "assignment" / "pooling.py")
    assert submission_file(sub, "assignment/pooling.py") is None
    (sub / "notebooks").mkdir()
    (sub / "notebooks" / "01_conv_layer.ipynb").mkdir()  # a folder where a file belongs
    assert submission_file(sub, "notebooks/01_conv_layer.ipynb") is None
    assert submission_file(tmp_path / "nowhere", "assignment/conv.py") is None


# ------------------------------------------------------------------------------------------ names
def test_results_folders_never_clash_with_class_files(tmp_path):
    names = [n for n, _ in assign_names(["x/grades.csv", "y/Grades.CSV.zip", "z/Alice", "w/alice.zip", "v/.hidden",
                                         "u/" + "long" * 100])]
    assert names[0] not in ("grades.csv",) and names[1].casefold() != "grades.csv"
    assert len({n.casefold() for n in names}) == len(names)  # distinct on a case-insensitive file system too
    assert not any(n.startswith(".") for n in names) and len(names[5]) <= 210
    # the order of the command line does not change who is who
    assert dict(assign_names(["b/alice", "a/alice"])) == dict(assign_names(["a/alice", "b/alice"]))


def test_a_submission_named_grades_csv_on_the_command_line(tmp_path):
    """The class CSV is written every run, resumed runs included, beside a student called grades.csv."""
    release_copy(tmp_path / "grades.csv")
    out = tmp_path / "out"
    for _ in range(2):
        run = subprocess.run([sys.executable, "-m", "grader", "grade", str(tmp_path / "grades.csv"), "--out",
                              str(out), "--part", "conv", "--skip-notebooks"], cwd=ROOT, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        assert (out / "grades.csv").is_file() and list(rows(out)) == ["grades.csv-2"]
        assert (out / "grades.csv-2" / "results.json").is_file()


def test_long_names_stay_out_of_the_grader(tmp_path, fast, monkeypatch):
    seen = []

    class Notebooks:
        def __init__(self, part, *args, **kwargs):
            pass

        def grade(self, root, student, outdir):
            seen.append(student)
            return []

        def close(self):
            pass

    monkeypatch.setattr(grading, "NotebookGrader", Notebooks)
    name = "-".join(["a-student-with-a-very-long-name"] * 4)
    ClassGrader(CONV, tmp_path / "out").grade_all([folder(tmp_path / name)])
    assert seen == ["s0001"] and (tmp_path / "out" / name / "results.json").exists()


# ------------------------------------------------------------------------------------------- seed
def test_the_seed_is_secret_and_kept_per_class(tmp_path, fast):
    sub = folder(tmp_path / "alice")
    out = tmp_path / "out"
    ClassGrader(CONV, out, notebooks=False).grade_all([sub])
    secret = out / ".grader-secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    seed = fast[-1]
    assert seed >= 1 << 64  # random, not 0
    leaked = [p for p in out.rglob("*") if p.is_file() and p != secret and str(seed) in p.read_text()]
    assert not leaked and secret.read_text().strip() not in (out / "alice" / "results.json").read_text()
    ClassGrader(CONV, out, notebooks=False).grade_all([sub])  # resumed: same seed, nothing regraded
    assert fast == [seed]
    (out / "alice" / "results.json").unlink()
    ClassGrader(CONV, out, notebooks=False).grade_all([sub])
    assert fast == [seed, seed]
    ClassGrader(CONV, tmp_path / "other", notebooks=False).grade_all([sub])
    assert fast[-1] != seed  # another class, another secret
    ClassGrader(CONV, tmp_path / "forced", seed=7, notebooks=False).grade_all([sub])
    assert fast[-1] == 7 and not (tmp_path / "forced" / ".grader-secret").exists()
    ClassGrader(CONV, tmp_path / "shard2", notebooks=False, secret=secret).grade_all([sub])
    assert fast[-1] == seed and (tmp_path / "shard2" / ".grader-secret").read_text() == secret.read_text()
    with pytest.raises(SystemExit, match="another secret"):
        ClassGrader(CONV, tmp_path / "other", notebooks=False, secret=secret)


# ------------------------------------------------------------------------------------ shard, merge
def test_shards_split_the_class_and_merge_back(tmp_path, fast):
    subs = [folder(tmp_path / name, RIGHT if name < "c" else "wrong") for name in ("ann", "bea", "cy", "dan", "eve")]
    named = assign_names(subs)
    shares = [[n for n, _ in in_shard(named, (i, 2))] for i in (1, 2)]
    assert shares == [["ann", "cy", "eve"], ["bea", "dan"]]
    with pytest.raises(SystemExit):
        parse_shard("3/2")
    assert parse_shard("2/4") == (2, 4)
    ClassGrader(CONV, tmp_path / "s1", notebooks=False).grade_all(subs, shard=(1, 2))
    ClassGrader(CONV, tmp_path / "s2", notebooks=False, secret=tmp_path / "s1" / ".grader-secret").grade_all(
        subs, shard=(2, 2))
    assert set(rows(tmp_path / "s1")) == {"ann", "cy", "eve"}
    run = subprocess.run([sys.executable, "-m", "grader", "merge", str(tmp_path / "s1"), str(tmp_path / "s2"),
                          "--out", str(tmp_path / "all")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    merged = rows(tmp_path / "all")
    assert sorted(merged) == ["ann", "bea", "cy", "dan", "eve"] and float(merged["bea"]["score"]) == 2
    assert (tmp_path / "all" / "dan" / "feedback.html").exists() and "ann" in run.stdout
    assert (tmp_path / "all" / ".grader-secret").read_text() == (tmp_path / "s1" / ".grader-secret").read_text()
    # merging again is fine; a student graded twice with different results is refused
    merging.merge([tmp_path / "s1", tmp_path / "s2"], tmp_path / "all")
    ClassGrader(CONV, tmp_path / "s3", notebooks=False, secret=tmp_path / "s1" / ".grader-secret").grade_all(
        [folder(tmp_path / "x" / "ann", "changed")])
    with pytest.raises(merging.MergeError, match="ann was graded in"):
        merging.merge([tmp_path / "s1", tmp_path / "s2", tmp_path / "s3"], tmp_path / "all2")
    # shards graded with different secrets are refused
    ClassGrader(CONV, tmp_path / "s4", notebooks=False).grade_all(subs, shard=(2, 2))
    with pytest.raises(merging.MergeError, match="different secrets"):
        merging.merge([tmp_path / "s1", tmp_path / "s4"], tmp_path / "all3")
    run = subprocess.run([sys.executable, "-m", "grader", "merge", str(tmp_path / "nope"), "--out",
                          str(tmp_path / "all4")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1 and "no such output folder" in run.stderr


# ----------------------------------------------------------------------------------------- reports
def test_feedback_links_and_pending_say_only_what_is_true(tmp_path):
    tests = [{"name": "test_one", "title": "one", "score": 2, "max_score": 2, "output": "", "part": "conv"}]
    results = report.results_json(tests, "process", 1.0, {"notebooks": "graded"})
    page = report.feedback_html("alice", results, CONV, tmp_path)
    assert "01_conv_layer.html" not in page and "graded by hand" not in page
    (tmp_path / "01_conv_layer.html").write_text("nbgrader's feedback")
    assert "href='01_conv_layer.html'" in report.feedback_html("alice", results, CONV, tmp_path)
    written = tests + [{"name": "notebook:written_im2col", "title": "Q10", "score": 0, "max_score": 2, "output": "",
                        "part": "conv", "kind": "manual"}]
    page = report.feedback_html("alice", report.results_json(written, "process", 1.0, {}), CONV, tmp_path)
    assert "worth 2 points are still to be graded by hand" in page and "(cell written_im2col)" in page


def test_notebook_rows_have_readable_titles():
    titles = report.notebook_titles(PARTS["conv"].source_notebook)
    assert titles["test_q_ten_filters_shape"].startswith("Q2: A 28x28x6 activation volume")
    assert titles["written_im2col"].startswith("Q10 (written): What does im2col trade")
    assert all(len(t) <= 90 for t in titles.values())


def test_class_table_has_one_maximum_per_column(tmp_path):
    def results(auto, pending):
        tests = [{"name": "t", "title": "t", "score": auto, "max_score": 5, "output": "", "part": "conv"},
                 {"name": "notebook:w", "title": "w", "score": 0, "max_score": 3, "output": "", "part": "conv",
                  "kind": "manual" if pending else "manual-graded"}]
        return report.results_json(tests, "process", 1.0, {})

    table = {"ref": results(5, True), "bob": results(2, False), "bad": dict(results(0, True))}
    table["bad"]["extra_data"] = dict(table["bad"]["extra_data"], failed="not a readable zip")
    text = report.class_table(table, CONV)
    lines = text.splitlines()
    assert lines[1].split() == ["max", "8", "8"]  # conv, total: one maximum each
    row = {line.split()[0]: line.split() for line in lines[3:6]}
    assert row["ref"] == ["ref", "5", "5", "3"] and row["bob"] == ["bob", "2", "2", "-"]
    assert row["bad"][-1] == "!" and "could not be graded" in text and "/" not in "".join(lines[3:6])
