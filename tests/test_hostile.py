"""Hostile submissions gain nothing, and the grader survives them with the rest of the class graded."""
import json
import tempfile
from pathlib import Path

import pytest

from conftest import progress, sandbox_processes, score
from grader.demo import complete, with_trick
from grader.grade import ClassGrader
from grader.parts import ROOT, built_parts
from grader.sandbox import best_level
from tests.hostile import trick_files

PARTS = built_parts()
TRICKS = [(part, trick) for part in PARTS for trick in trick_files(part.name)]
NEEDS_ISOLATION = {"read_reference", "torch_oracle", "torch_network", "escape", "copy_classmate"}
# Tricks that do real work and may keep the points for it, but must not gain the tests they game.
TARGETED = {"speed_cheats": ("test_vectorised_speed",), "garbage_when_timed": ("test_vectorised_speed",),
            "finite_difference_network": ("test_convnet_gradients", "test_convnet_regularisation",
                                          "test_convnet_float32", "test_convnet_training_steps")}


@pytest.fixture(scope="module")
def graded(tmp_path_factory, request):
    """Per part, one class: that part's tricks plus an honest complete submission, graded on that part only
    (the other parts of a trick's submission are the reference's). Every sandbox's folder is made below
    `scratch`, so that what is left running afterwards can be told from other processes.
    Returns ({part: {submission: results}}, out, scratch); part p's results are in out/p/<submission>/."""
    root = tmp_path_factory.mktemp("hostile")
    honest = complete(root / "honest", PARTS)
    out, scratch = root / "out", root / "scratch"
    scratch.mkdir()
    tables = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(scratch))
        mp.setattr(tempfile, "tempdir", str(scratch))
        for part in PARTS:
            progress(request, f"grading the hostile submissions against {part.name}")
            subs = [honest] + [with_trick(root / f"{part.name}-{trick}", PARTS, part, trick)
                               for p, trick in TRICKS if p is part]
            tables[part.name] = ClassGrader([part], out / part.name, jobs=2, timeout=5,
                                            notebooks=False).grade_all([str(s) for s in subs])
    return tables, out, scratch


def test_honest_submission_still_gets_full_marks(graded):
    tables, *_ = graded
    for table in tables.values():
        assert table["honest"]["score"] == table["honest"]["extra_data"]["max_score"] > 0


@pytest.mark.parametrize("part,trick", TRICKS, ids=[f"{p.name}-{t}" for p, t in TRICKS])
def test_trick_gains_nothing(part, trick, graded):
    if trick in NEEDS_ISOLATION and best_level() == "process":
        pytest.skip("only a namespace sandbox stops this trick; this machine has none")
    tables, out, _ = graded
    name = f"{part.name}-{trick}"
    results = json.loads((out / part.name / name / "results.json").read_text())
    tests = [t for t in results["tests"] if part.name in t["tags"]]
    if trick in TARGETED:
        tests = [t for t in tests if t["extra_data"]["test"] in TARGETED[trick]]
        assert len(tests) == len(TARGETED[trick]), f"{TARGETED[trick]} were not all graded"
    assert sum(t["score"] for t in tests) == 0, [(t["name"], t["output"]) for t in tests if t["score"]]
    assert tables[part.name][name]["score"] == results["score"]


def test_nothing_left_running(graded):
    """Processes forked by student code, in sessions of their own included, end with their sandbox."""
    *_, scratch = graded
    assert not [cmd for cmd in sandbox_processes() if str(scratch) in cmd]


def test_nothing_escaped(graded):
    _, out, _ = graded
    stray = [p for base in (out, ROOT) for p in base.rglob("late-results.json")]
    assert not stray and not Path("/tmp/late-results.json").exists(), stray
    assert not (ROOT / "results.json").exists()
    for results in out.glob("*/*/results.json"):
        assert json.loads(results.read_text())["score"] < 1000


def test_symlinked_module_is_not_followed(tmp_path):
    """A submission whose module is a link to the reference gets the release stub instead."""
    from grader.demo import release_copy
    from grader.grade import run_suite

    sub = release_copy(tmp_path / "linker")
    module = sub / "assignment" / "conv.py"
    module.unlink()
    module.symlink_to(ROOT / "solutions" / "conv.py")
    records = run_suite(PARTS[0], sub, 0, best_level(), timeout=10)
    assert records and score(records)[0] == 0


def test_zip_entries_cannot_escape(tmp_path):
    """Absolute paths and '..' in a zip are dropped when it is unpacked."""
    import zipfile

    from grader.grade import unpack

    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("../escaped.txt", "x")
        zf.writestr("/tmp/absolute-escape.txt", "x")
        zf.writestr("assignment/conv.py", "x = 1\n")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    root = unpack(archive, scratch)
    assert (root / "assignment" / "conv.py").exists()
    assert not (tmp_path / "escaped.txt").exists() and not (scratch / "escaped.txt").exists()
    assert not Path("/tmp/absolute-escape.txt").exists()


@pytest.mark.parametrize("linked", ["assignment", "notebooks"])
def test_folder_linked_into_the_course_gains_nothing(tmp_path, monkeypatch, linked):
    """A folder submission whose assignment/ or notebooks/ is a link into the course (the reference, the
    source notebook with its answers) is graded as if that folder were missing."""
    import shutil

    from grader import grade as grading
    from grader.demo import release_copy
    from grader.parts import PARTS as BY_NAME

    seen = []

    class Notebooks:  # stands in for nbgrader: records what the notebook grader would be given
        def __init__(self, part, *args, **kwargs):
            self.part = part

        def grade(self, root, student, outdir):
            seen.append((Path(root) / "notebooks" / f"{self.part.notebook}.ipynb").exists())
            return []

        def close(self):
            pass

    monkeypatch.setattr(grading, "NotebookGrader", Notebooks)
    conv = BY_NAME["conv"]
    sub = release_copy(tmp_path / "linker")
    shutil.rmtree(sub / linked)
    (sub / linked).symlink_to(ROOT / "solutions" if linked == "assignment" else conv.source_notebook.parent)
    assert (sub / "assignment" / "conv.py").is_file() and (sub / "notebooks" / "01_conv_layer.ipynb").is_file()
    table = ClassGrader([conv], tmp_path / "out", timeout=10).grade_all([str(sub)])
    assert table["linker"]["score"] == 0  # the release stubs, not the reference
    assert seen == [linked != "notebooks"]  # the release notebook is graded, never the linked answers
