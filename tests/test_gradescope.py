"""Gradescope's autograder zip, run on a simulated /autograder tree as Gradescope would run it."""
import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest

from grader import gradescope
from grader.grade import collect
from grader.parts import PARTS, ROOT
from grader.sandbox import available_levels

CONV = PARTS["conv"]


def unpack_like_gradescope(archive, root):
    """/autograder/source holds the zip's contents (modes kept); run_autograder is copied to /autograder."""
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            zf.extract(info, root / "source")
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    (root / "run_autograder").write_bytes((root / "source" / "run_autograder").read_bytes())
    os.chmod(root / "run_autograder", 0o755)
    (root / "submission").mkdir()
    (root / "results").mkdir()


def test_zip_layout(tmp_path):
    archive = tmp_path / "autograder.zip"
    run = subprocess.run([sys.executable, "-m", "grader", "gradescope", "--out", str(archive), "--part", "conv"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        config = json.loads(zf.read("gradescope.json"))
        setup = zf.read("setup.sh").decode()
        requirements = zf.read("requirements.txt").decode().split()
    assert {"setup.sh", "run_autograder", "requirements.txt", "pyproject.toml", "grader/gradescope.py",
            "grader/suites/test_conv.py", "solutions/conv.py", "assignment/conv.py"} <= names
    assert not [n for n in names if "__pycache__" in n or n.startswith(("tests/", ".git"))]
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755 and modes["gradescope.json"] == 0o600
    assert config["parts"] == ["conv"] and config["notebooks"] and config["seed"] >= 0
    assert "download.pytorch.org/whl/cpu" in setup and "requirements.txt" in setup
    assert "nbgrader>=0.9" in requirements and not [r for r in requirements if r.startswith("torch")]
    other = tmp_path / "again.zip"
    gradescope.build(other, [CONV])
    with zipfile.ZipFile(other) as zf:  # every build draws its own secret seed
        assert json.loads(zf.read("gradescope.json"))["seed"] != config["seed"]


def test_submission_layouts(tmp_path):
    parts = [CONV, PARTS["pooling"]]
    repo = tmp_path / "repo" / "alice-cnn"
    (repo / "assignment").mkdir(parents=True)
    (repo / "notebooks").mkdir()
    (repo / "assignment" / "conv.py").write_text("repo")
    (repo / "notebooks" / "01_conv_layer.ipynb").write_text("{}")
    (repo / "__MACOSX" / "assignment").mkdir(parents=True)
    (repo / "__MACOSX" / "assignment" / "conv.py").write_text("junk")
    (repo / "tests").mkdir()
    (repo / "tests" / "pooling.py").write_text("elsewhere")
    flat = tmp_path / "flat"
    flat.mkdir()
    (flat / "conv.py").write_text("flat")
    (flat / "02_pooling.ipynb").write_text("{}")
    (flat / "pooling.py").symlink_to(ROOT / "solutions" / "pooling.py")  # links are never followed
    for submission, expected, missing in ((repo.parent, "repo", ["02_pooling.ipynb"]),
                                          (flat, "flat", ["01_conv_layer.ipynb", "pooling.py"])):
        dest = tmp_path / f"staged-{expected}"
        dest.mkdir()
        assert gradescope.stage(submission, parts, dest, tmp_path) == missing
        assert (dest / "assignment" / "conv.py").read_text() == expected
    assert (tmp_path / "staged-repo" / "assignment" / "pooling.py").read_text() == "elsewhere"
    assert not (tmp_path / "staged-flat" / "assignment" / "pooling.py").exists()


def test_weak_isolation_is_refused(tmp_path, monkeypatch):
    import grader.sandbox

    monkeypatch.setattr(grader.sandbox, "available_levels", lambda: ("process",))
    results = gradescope.grade_submission(tmp_path, {"parts": ["conv"], "seed": 1, "notebooks": False})
    assert results["score"] == 0 and results["tests"] == [] and "process isolation" in results["output"]


def test_run_autograder(tmp_path):
    """The reference, submitted as flat files, with a trick that looks for the secret: full marks."""
    if available_levels()[0] == "process":
        pytest.skip("needs a namespace sandbox (the autograder refuses process isolation)")
    archive = tmp_path / "autograder.zip"
    gradescope.build(archive, [CONV], notebooks=False)
    root = tmp_path / "autograder"
    unpack_like_gradescope(archive, root)
    secret = root / "source" / "gradescope.json"
    trick = ("import os as _os\n"
             f"for _p in ({str(secret)!r}, {str(root / 'results')!r}, {str(root / 'submission')!r}):\n"
             "    if _os.path.exists(_p):\n"
             "        raise RuntimeError('the grader is readable: ' + _p)\n")
    (root / "submission" / "conv.py").write_text(CONV.reference.read_text() + "\n" + trick)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    run = subprocess.run(["bash", str(root / "run_autograder")], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert {"score", "execution_time", "output", "visibility", "tests"} <= set(results)
    assert isinstance(results["score"], (int, float))
    for test in results["tests"]:
        assert {"name", "score", "max_score", "output", "visibility", "tags", "status"} <= set(test), test
        assert test["tags"] == ["conv"] and test["status"] == "passed", test
    suite = collect(CONV)
    assert len(results["tests"]) == len(suite)
    assert results["score"] == sum(t["max_score"] for t in suite) > 0, run.stderr
    assert results["extra_data"]["isolation"] != "process"
    assert "not found" not in results["output"].lower()  # notebooks are not graded by this autograder
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
