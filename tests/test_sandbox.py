"""The wire format accepts plain data only, and the sandbox confines what it runs."""
import io
from pathlib import Path

import numpy as np
import pytest

from grader import worker
from grader.sandbox import Sandbox, SandboxFailure, StudentError, available_levels, best_level


def roundtrip(value):
    blobs = []
    header = worker.encode(value, blobs)
    stream = io.BytesIO()
    worker.write_message(stream, header, blobs)
    stream.seek(0)
    header, blobs = worker.read_message(stream, 1 << 20)
    return worker.decode(header, blobs)


def test_plain_values_roundtrip():
    value = (1, 2.5, -3, True, None, "text", [np.arange(6, dtype=np.float32).reshape(2, 3)], {"k": np.int64(4)})
    back = roundtrip(value)
    assert back[:6] == value[:6] and type(back[0]) is int and type(back[3]) is bool
    assert back[6][0].dtype == np.float32 and np.array_equal(back[6][0], value[6][0])
    assert isinstance(back[7]["k"], np.int64)


@pytest.mark.parametrize("bad", [
    {"array": 0, "dtype": "|O", "shape": [1]},          # object arrays would unpickle
    {"array": 0, "dtype": "<f8", "shape": [3]},         # size does not match the blob
    {"pickle": "gASV"},                                  # unknown tag
    [1, 2],                                              # untagged container
])
def test_decode_rejects(bad):
    with pytest.raises(worker.ProtocolError):
        worker.decode(bad, [b"\0" * 8])


def test_encode_refuses_objects_without_keep():
    with pytest.raises(TypeError):
        worker.encode(object(), [])


def test_oversized_message_refused():
    stream = io.BytesIO()
    worker.write_message(stream, {"x": "y" * 100})
    stream.seek(0)
    with pytest.raises(worker.ProtocolError):
        worker.read_message(stream, 50)


@pytest.fixture
def submission(tmp_path):
    (tmp_path / "assignment").mkdir()
    (tmp_path / "assignment" / "conv.py").write_text(
        "import os\n"
        "def add(a, b):\n    print('noise'); return a + b\n"
        "def exists(p):\n    return os.path.exists(p)\n"
        "def write(p):\n    open(p, 'w').write('x')\n"
        "def keep(x):\n    return x, object()\n"
        "def kind(o):\n    return type(o).__name__\n"
        "def boom():\n    raise ValueError('bad input')\n"
        "def hang():\n    while True: pass\n")
    return tmp_path


def test_calls_handles_and_errors(submission):
    with Sandbox(submission, ["conv"], timeout=5) as box:
        assert box.call("conv.add", 2, 3) == 5
        out = box.call("conv.add", np.ones(3, np.float32), 1)
        assert out.dtype == np.float32 and np.all(out == 2)
        value, handle = box.call("conv.keep", 7)
        assert value == 7 and box.call("conv.kind", handle) == "object"
        with pytest.raises(StudentError) as err:
            box.call("conv.boom")
        assert err.value.type_name == "ValueError" and "bad input" in err.value.message
        with pytest.raises(SandboxFailure, match="did not return"):
            box.call("conv.hang")
        assert box.call("conv.add", 1, 1) == 2  # restarted after the timeout


def test_methods_and_attributes_of_kept_objects(tmp_path):
    """An object of a student's class stays in the sandbox; the trusted side calls its methods (dotted paths
    included) and reads its attributes, and `last_inputs` holds the method's own arguments."""
    (tmp_path / "assignment").mkdir()
    (tmp_path / "assignment" / "pooling.py").write_text(
        "class Net:\n"
        "    def __init__(self, scale):\n        self.params = {'w': scale * __import__('numpy').ones(2)}\n"
        "    def loss(self, x, y=None):\n        x *= 0; return float(self.params['w'].sum()), y\n")
    with Sandbox(tmp_path, ["pooling"], timeout=10) as box:
        net = box.call("pooling.Net", 2.0)
        assert isinstance(net, worker.Handle)
        assert np.array_equal(box.attribute(net, "params")["w"], [2.0, 2.0])
        box.call_method(net, "params.update", {"w": np.arange(3.0)})
        assert box.call_method(net, "loss", np.ones(2), y=4) == (3.0, 4)
        args, kwargs = box.last_inputs
        assert np.array_equal(args[0], [0.0, 0.0]) and kwargs == {"y": 4}  # the method changed x in place
        with pytest.raises(StudentError, match="AttributeError"):
            box.call_method(net, "missing")


def test_used_parts_get_the_reference(tmp_path):
    """A graded part's sandbox holds the reference of the parts it uses (pooling's ConvNet calls conv), never
    the reference of the part itself, and the submission's own copy of a used part is not taken."""
    from grader.parts import PARTS
    from grader.sandbox import ROOT, prepare_submission

    (tmp_path / "assignment").mkdir()
    (tmp_path / "assignment" / "pooling.py").write_text("x = 1\n")
    (tmp_path / "assignment" / "conv.py").write_text("x = 2\n")
    pkg = prepare_submission(tmp_path, ["pooling"], tmp_path / "out")
    assert PARTS["pooling"].uses == ("conv",)
    assert (pkg / "conv.py").read_text() == (ROOT / "solutions" / "conv.py").read_text()
    assert (pkg / "pooling.py").read_text() == "x = 1\n"
    pkg = prepare_submission(tmp_path, ["conv"], tmp_path / "out2")
    assert (pkg / "conv.py").read_text() == "x = 2\n"
    assert (pkg / "pooling.py").read_text() == (ROOT / "assignment" / "pooling.py").read_text()


@pytest.mark.skipif(best_level() == "process", reason="no namespace or bubblewrap isolation on this machine")
def test_confinement(submission, tmp_path):
    from grader.sandbox import ROOT

    import sys

    with Sandbox(submission, ["conv"], timeout=10) as box:
        assert not box.call("conv.exists", str(ROOT / "solutions" / "conv.py"))
        assert not box.call("conv.exists", str(ROOT / "grader" / "suites"))
        assert not box.call("conv.exists", str(submission))  # nothing outside its own copy
        assert box.call("conv.exists", sys.prefix)  # its Python is there, read-only
        with pytest.raises(StudentError, match="Read-only"):
            box.call("conv.write", str(Path(sys.prefix) / "planted.py"))
        with pytest.raises(StudentError, match="No such file"):
            box.call("conv.write", str(tmp_path / "outside.txt"))
    assert not (tmp_path / "outside.txt").exists() and not (Path(sys.prefix) / "planted.py").exists()
    assert available_levels()[-1] == "process"


@pytest.mark.skipif(best_level() == "process", reason="no namespace isolation on this machine")
@pytest.mark.parametrize("attack,expected", [
    ("forked_memory", "memory in all"),  # children under the per-process limit, far over it together
    ("fork_bomb", "processes"),      # the process limit stops it; the call then reports how many it made
    ("disk_filler", "bytes"),        # the private tmpfs fills up, the host disk does not
])
def test_sandbox_bounds_hold_together(attack, expected, tmp_path):
    (tmp_path / "assignment").mkdir()
    (tmp_path / "assignment" / "conv.py").write_text(
        "import os, time\nimport numpy as np\n"
        "def forked_memory():\n"
        "    for _ in range(8):\n"
        "        if os.fork() == 0:\n"
        "            block = np.ones(40 << 20)\n"
        "            time.sleep(60 + block[0]); os._exit(0)\n"
        "    time.sleep(60)\n"
        "def fork_bomb():\n"
        "    made = 0\n"
        "    for _ in range(500):\n"
        "        try:\n"
        "            if os.fork() == 0:\n"
        "                time.sleep(60); os._exit(0)\n"
        "            made += 1\n"
        "        except OSError:\n"
        "            break\n"
        "    return f'{made} processes'\n"
        "def disk_filler():\n"
        "    written = 0\n"
        "    try:\n"
        "        for i in range(100):\n"
        "            with open(f'fill-{i}', 'wb') as f:\n"
        "                for _ in range(16):\n"
        "                    f.write(b'0' * (1 << 20)); written += 1 << 20\n"
        "    except OSError:\n"
        "        pass\n"
        "    return f'{written} bytes'\n")
    with Sandbox(tmp_path, ["conv"], timeout=30, memory=1 << 30) as box:
        try:
            answer = box.call(f"conv.{attack}")
        except SandboxFailure as exc:
            answer = str(exc)
        assert expected in answer, answer
        if attack == "fork_bomb":
            assert int(answer.split()[0]) < 70
        if attack == "disk_filler":
            assert int(answer.split()[0]) <= 256 << 20
        assert box.call("conv.disk_filler") if attack != "forked_memory" else True
    assert not list(tmp_path.rglob("fill-*"))


def test_time_counts_the_work_not_the_transfer(tmp_path):
    """Sandbox.time measures what the student's function does: moving large inputs and results through the
    pipe is not charged, a cache kept in the sandbox (a Handle) can be an input, and a thread the student left
    burning the CPU between calls cannot make the work look cheaper (its worker is frozen while the base is
    measured)."""
    (tmp_path / "assignment").mkdir()
    (tmp_path / "assignment" / "conv.py").write_text(
        "import threading, time\n"
        "class Cache:\n    pass\n"
        "def burn():\n    threading.Thread(target=lambda: [None for _ in iter(int, 1)], daemon=True).start()\n"
        "def echo(x):\n    return x, Cache()\n"
        "def nap(x, cache):\n    time.sleep(0.05); return x\n")
    rng = np.random.default_rng(0)
    checked = []

    def right(value):
        checked.append(value)

    with Sandbox(tmp_path, ["conv"], timeout=20) as box:
        def inputs():  # 8 MB each way, a kept cache among the arguments
            x, cache = box.call("conv.echo", rng.standard_normal(1 << 20))
            return (x, cache), {}, right

        assert box.time("conv.echo", lambda: ((rng.standard_normal(1 << 20),), {}, right)) < 0.03
        assert len(checked) == 6 and isinstance(checked[0][1], worker.Handle)
        assert 0.035 < box.time("conv.nap", inputs) < 0.15  # 50 ms, give or take the noise of moving 8 MB
        box.call("conv.burn")  # slows the student's own calls (the GIL), never the base
        assert box.time("conv.nap", inputs) > 0.035


def test_timed_values_are_checked(tmp_path):
    """A function that answers fast and wrong when it guesses it is timed loses: every timed value goes to
    the suite's check (the reference's answer for those inputs)."""
    (tmp_path / "assignment").mkdir()
    (tmp_path / "assignment" / "conv.py").write_text(
        "import numpy as np\ncalls = []\n"
        "def double(x):\n    calls.append(1)\n    return x * 2 if len(calls) < 3 else np.zeros_like(x)\n")

    def make_inputs():
        x = np.arange(4.0)

        def check(value):
            assert np.array_equal(value, 2 * x), "wrong while timed"
        return (x,), {}, check

    with Sandbox(tmp_path, ["conv"], timeout=20) as box:
        with pytest.raises(AssertionError, match="wrong while timed"):
            box.time("conv.double", make_inputs)
