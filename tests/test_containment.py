"""What student code cannot do to the grading machine: notebook kernels and package sandboxes write nowhere the
grader reads or writes, stay within their bounds, and die with the grader that started them."""
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from grader import notebook
from grader.demo import complete
from grader.grade import ClassGrader
from grader.parts import PARTS, ROOT, built_parts
from grader.sandbox import best_level
from conftest import sandbox_processes
from tests.hostile.notebooks import cells

pytestmark = pytest.mark.skipif(best_level() == "process", reason="needs namespace isolation")
CONV = PARTS["conv"]


def with_cells(sub, part, sources):
    path = sub / "notebooks" / f"{part.notebook}.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1:1] = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("kernel-attacks")
    canary = root / "canary.txt"
    canary.write_text("original")
    canary.chmod(0o640)
    honest = complete(root / "honest", built_parts())
    hostile = complete(root / "hostile", built_parts())
    with_cells(hostile, CONV, [src.replace('"CANARY"', repr(str(canary))) for src in cells().values()])
    key = hashlib.sha256(CONV.source_notebook.read_bytes()).hexdigest()
    monkeypatch_module.setitem(notebook.KERNEL_LIMITS, "total_memory", 1 << 30)
    scratch = root / "scratch"  # every sandbox's folder, so its processes can be told from others
    scratch.mkdir()
    monkeypatch_module.setattr(tempfile, "tempdir", str(scratch))
    out = root / "out"
    start = time.monotonic()
    table = ClassGrader([CONV], out, jobs=2, timeout=60).grade_all([str(honest), str(hostile)])
    return {"table": table, "out": out, "canary": canary, "key": key, "root": root, "scratch": scratch,
            "seconds": time.monotonic() - start}


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_kernel_cannot_touch_host_files(hostile_class):
    canary = hostile_class["canary"]
    assert canary.read_text() == "original" and canary.stat().st_mode & 0o777 == 0o640
    assert not Path(str(canary) + ".new").exists()
    assert hashlib.sha256(CONV.source_notebook.read_bytes()).hexdigest() == hostile_class["key"]
    for path in hostile_class["out"].rglob("*"):
        assert not path.is_symlink(), path
    stray = [p for base in (hostile_class["root"], Path("/tmp")) for p in base.glob("fill-*.bin")]
    assert not stray, stray


def test_honest_classmate_is_unaffected(hostile_class):
    honest = json.loads((hostile_class["out"] / "honest" / "results.json").read_text())
    auto = [t for t in honest["tests"] if t["extra_data"]["kind"] == "auto"]
    assert auto and all(t["score"] == t["max_score"] for t in auto), [t["name"] for t in auto if t["score"] == 0]


def test_resource_attacks_end_with_the_kernel(hostile_class):
    hostile = json.loads((hostile_class["out"] / "hostile" / "results.json").read_text())
    notebook_tests = [t for t in hostile["tests"] if t["extra_data"]["test"].startswith("notebook:")]
    assert notebook_tests and all(t["score"] == 0 for t in notebook_tests)
    assert hostile_class["seconds"] < 300
    assert not [c for c in sandbox_processes() if str(hostile_class["scratch"]) in c]


def grader_cli(args, tmp):
    env = dict(os.environ, TMPDIR=str(tmp))
    return subprocess.Popen([sys.executable, "-m", "grader", "grade", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sandboxes_die_with_a_killed_grader(tmp_path):
    """SIGKILL to the grader alone (as a CI time limit or an OOM killer does) ends every sandbox it started: the
    package suite's worker and the notebook's kernel, both busy in an endless loop when the grader dies."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    sub = complete(tmp_path / "looper", built_parts())
    (sub / "assignment" / "conv.py").write_text("def __getattr__(name):\n    while True:\n        pass\n")
    with_cells(sub, CONV, ["while True:\n    pass"])
    proc = grader_cli([str(sub), "--out", str(tmp_path / "out"), "--part", "conv", "--jobs", "2"], scratch)

    def running(marker):
        return [c for c in sandbox_processes() if str(scratch) in c and marker in c]

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not (running("ipykernel_launcher") and running("course-sandbox-")):
        time.sleep(0.2)
    assert proc.poll() is None, "the grader ended before its sandboxes started"
    assert running("ipykernel_launcher") and running("course-sandbox-"), "the sandboxes did not start in time"
    time.sleep(1)  # both are spinning now
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and [c for c in sandbox_processes() if str(scratch) in c]:
        time.sleep(0.2)
    assert not [c for c in sandbox_processes() if str(scratch) in c]
