"""Run student code in a separate, confined process and talk to it with plain data only.

Isolation levels, strongest first (the grader uses the strongest that works here and records it):
- "namespaces": new user, mount, pid, net, ipc and uts namespaces, built by worker.py itself (no setuid helper,
                no root needed): a root file system holding only the system's programs and libraries and this
                Python (read-only), a private size-limited tmpfs with a copy of the sandbox's files as the only
                writable place, no network. A root grader runs each sandbox as an unprivileged uid of its own.
- "process":    a plain child process with the same limits only; student code could read the reference
                solutions and reach the network. The grader warns loudly and records this level.
Always: limits per process (memory, CPU time, file size, open files, processes), bounds on the sandbox as a
whole checked from outside (processes, memory and CPU time summed, bytes written), a per-call wall-clock
timeout, and death with the grader that started it.
"""
import copy
import functools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from grader import worker
from grader.parts import PARTS
from grader.submission import submission_file
from grader.worker import Handle, ProtocolError  # noqa: F401  (re-exported for suites)

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ("namespaces", "process")
REPLY_LIMIT = 1 << 30
HEADER_LIMIT = 4 << 20  # the JSON part of a reply: decoding it may take ~40x its size
MAX_TIMEOUTS = 3
START_TIMEOUT = 180  # seconds for a sandbox to start (torch's import on a loaded machine included)


class StudentError(Exception):
    """Student code raised an exception (this is an answer, e.g. the expected ValueError)."""

    def __init__(self, type_name, message):
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.message = type_name, message


class SandboxFailure(Exception):
    """The sandbox did not answer properly: a timeout, a crash or a malformed reply."""


def secret_paths():
    """Paths that student code must never see: the reference, the hidden suites and the course's tests."""
    return [ROOT / "solutions", ROOT / "grader", ROOT / "tests", ROOT / ".git"]


SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc/passwd", "/etc/group",
                "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/fonts",
                "/etc/alternatives", "/etc/ssl/certs"]


def allowed_paths():
    """What a sandbox sees besides its own folder: system programs and libraries, and this Python with
    its installed packages. Not the course repository, the home folder, /tmp or other students' work."""
    python = {sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix,
              os.path.dirname(os.path.realpath(sys.executable))}
    python |= {p for p in sys.path if p and os.path.isdir(p) and "-packages" in p}
    paths = [p for p in SYSTEM_PATHS if os.path.lexists(p)]
    for path in sorted(python):
        if not any(path == a or path.startswith(a.rstrip("/") + "/") for a in paths):
            paths.append(path)
    return paths


def launcher(folder, level, source, hidden=(), command=None, env=None, sockets=None, **limits):
    """Write the worker and its settings into `folder` (a private folder of the trusted side, never seen from
    inside) and return the command line that starts a sandbox over a copy of `source`; see worker.py.

    `command` (with "{connection_file}" standing for the extra argument a Jupyter kernel gets) is exec'd
    inside instead of the worker loop; `sockets` is a host folder the sandbox may write to (a kernel's
    sockets), watched for size; `limits`: memory (bytes per process), total_memory, cpu (seconds per
    process), total_cpu, processes, disk (bytes), file_size."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "_worker.py"
    shutil.copyfile(worker.__file__, script)
    limits = {**DEFAULT_LIMITS, **{k: v for k, v in limits.items() if v is not None}}
    config = {"level": level, "source": str(source),
              "allowed": allowed_paths(), "hidden": [str(p) for p in hidden], "command": command,
              "env": env or {}, "sockets": str(sockets) if sockets else None,
              "watch": [str(sockets)] if sockets else ([str(source)] if level == "process" else []), **limits}
    (folder / "config.json").write_text(json.dumps(config))
    os.chmod(folder / "config.json", 0o600)
    argv = [sys.executable, "-I", str(script), str(folder / "config.json")]
    return argv + ["{connection_file}"] if command and "{connection_file}" in command else argv


DEFAULT_LIMITS = {"memory": 4 << 30, "total_memory": 4 << 30, "cpu": 900, "total_cpu": 1800, "processes": 64,
                  "disk": 256 << 20, "file_size": 64 << 20}


@functools.lru_cache(maxsize=None)
def available_levels():
    """The isolation levels that actually work on this machine (each is tried once, for real)."""
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        source.mkdir()
        (source / "here").write_text("1")
        secret = Path(tmp) / "secret"
        secret.write_text("1")
        test = (f"import os; assert os.path.exists('here') and not os.path.exists({str(secret)!r}); "
                "open('here', 'w').write('2'); print('ok')")
        for level in LEVELS[:-1]:
            argv = launcher(Path(tmp) / level, level, source, command=[sys.executable, "-I", "-c", test],
                            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
            try:
                proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
                if proc.returncode == 0 and proc.stdout.strip() == "ok" and (source / "here").read_text() == "1":
                    found.append(level)
            except (OSError, subprocess.SubprocessError):
                pass
    return tuple(found) + ("process",)


def best_level():
    return available_levels()[0]


def prepare_submission(submission, modules, dest):
    """Lay out `dest/assignment/`: the trusted helper modules from the release plus, from the
    submission, only the student-editable `modules` (a missing one stays the release stub).

    The parts that a graded module uses (grader.parts.Part.uses, e.g. pooling's ConvNet calls conv) come from
    the reference instead of the release stub: they are graded in their own part, so a bug there costs points
    once. A module being graded is never replaced by its reference."""
    pkg = Path(dest) / "assignment"
    shutil.copytree(ROOT / "assignment", pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for used in sorted({u for name in modules if name in PARTS for u in PARTS[name].uses} - set(modules)):
        shutil.copyfile(PARTS[used].reference, pkg / f"{used}.py")
    for name in modules:
        src = submission_file(submission, f"assignment/{name}.py")  # never through a link
        if src is not None:
            shutil.copyfile(src, pkg / f"{name}.py")
    return pkg


def _without_handles(value):
    """`value` with every Handle (an object kept in one worker, meaningless in another) replaced by None."""
    if isinstance(value, worker.Handle):
        return None
    if isinstance(value, (tuple, list)):
        return type(value)(_without_handles(v) for v in value)
    if isinstance(value, dict):
        return {k: _without_handles(v) for k, v in value.items()}
    return value


class Sandbox:
    """One confined worker process holding a copy of one submission's modules.

    It starts lazily, is restarted after a crash or timeout, and is stopped on exit."""

    def __init__(self, submission, modules, level=None, timeout=60.0, memory=4 << 30, cpu=900,
                 hidden=(), probe=False):
        self.submission, self.modules = Path(submission), list(modules)
        self.probe = probe  # serve grader/probe.py's trusted helpers as `probe.<name>` (PyTorch parts)
        self.level = level or best_level()
        self.timeout, self.memory, self.cpu = timeout, memory, cpu
        self.hidden = [str(p) for p in [*secret_paths(), *hidden] if os.path.exists(p)]
        self.proc = None
        self.tmp = None
        self.last_inputs = None
        self.reply_arrived = None  # perf_counter() when the last reply started to arrive
        self.timeouts = 0  # consecutive; after MAX_TIMEOUTS the remaining calls fail at once

    # -- life cycle
    def start(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="course-sandbox-")
        work = Path(self.tmp.name) / "work"
        work.mkdir()
        prepare_submission(self.submission, self.modules, work)
        if self.probe:
            shutil.copyfile(ROOT / "grader" / "probe.py", work / worker.PROBE_FILE)
        (work / "tmp").mkdir()
        argv = launcher(self.tmp.name, self.level, work, self.hidden, memory=self.memory, total_memory=self.memory,
                        cpu=self.cpu, total_cpu=2 * self.cpu)
        inside = worker.INSIDE if self.level == "namespaces" else str(work)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": inside, "TMPDIR": f"{inside}/tmp",
               "MPLCONFIGDIR": f"{inside}/tmp", "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "LANG": "C.UTF-8",
               worker.PARENT_VARIABLE: str(os.getpid())}
        with open(Path(self.tmp.name) / "monitor.log", "wb") as log:  # why the monitor stopped it, if it did
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env,
                                         cwd=self.tmp.name, start_new_session=True)
        self._await_ready()

    def stop(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc = None
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    @contextmanager
    def stopped(self):
        """Stop the worker (all its processes) while the trusted side measures something."""
        self.stop()
        yield

    # -- calls
    def call(self, target, *args, **kwargs):
        """Call `assignment.<target>` in the sandbox; return the decoded result."""
        value, self.last_inputs = self._call(target, args, kwargs, return_inputs=True)
        return value

    def call_method(self, obj, path, *args, **kwargs):
        """Call `obj.<path>(*args, **kwargs)` in the sandbox, where `obj` is an object kept there (the Handle an
        earlier call returned, e.g. an instance of a student's class) and `path` a method name, dotted if need
        be ("params.update"); return the decoded result. `last_inputs` holds args and kwargs afterwards."""
        value, self.last_inputs = self._call("__method__", (obj, path) + args, kwargs, return_inputs=True)
        return value

    def attribute(self, obj, path):
        """The attribute `obj.<path>` of an object kept in the sandbox, decoded (plain data) or as a Handle."""
        return self._call("__attribute__", (obj, path), {})[0]

    def time(self, target, make_inputs, repeat=5):
        """Median wall time of `target` seen from the trusted side, each repetition on fresh inputs from
        `make_inputs()` -> (args, kwargs, check): it may prepare them with untimed calls, and check(value)
        raises when the value the call returned is not the reference's answer for those inputs (so that
        a function cannot answer fast and wrong when it guesses it is being timed).

        A timed call is an ordinary call. The clock stops when the reply starts to arrive (the value is
        built by then), and what moving the same inputs costs is taken off: measured on a no-op in a fresh
        worker that holds no student code, while this one is frozen."""
        inputs = [make_inputs() for _ in range(repeat + 1)]
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            self.start()
        os.killpg(self.proc.pid, signal.SIGSTOP)  # nothing of the student's runs while the base is measured
        try:
            with self._twin() as fresh:
                sent = [_without_handles((args, kwargs)) for args, kwargs, _ in inputs]
                for args, kwargs in sent:  # warm-up: a fresh worker's first large messages are slower
                    fresh._timed("__noop__", args, kwargs)
                base = statistics.median(fresh._timed("__noop__", args, kwargs)[0] for args, kwargs in sent)
        finally:
            os.killpg(self.proc.pid, signal.SIGCONT)
        runs = []
        for args, kwargs, check in inputs:  # the first is a warm-up (imports, caches)
            seconds, value = self._timed(target, args, kwargs)
            check(value)
            runs.append(seconds)
        return max(statistics.median(runs[1:]) - base, 1e-9)

    def _twin(self):
        """A sandbox like this one, not started, holding none of the submission's modules."""
        twin = copy.copy(self)
        twin.modules, twin.proc, twin.tmp, twin.last_inputs, twin.timeouts = [], None, None, None, 0
        return twin

    def _timed(self, target, args, kwargs):
        """(seconds from sending an ordinary call to the first bytes of its reply, the value)."""
        start = time.perf_counter()
        value, self.last_inputs = self._call(target, args, kwargs, return_inputs=True)
        return self.reply_arrived - start, value

    def _call(self, target, args, kwargs, return_inputs=False):
        if self.timeouts >= MAX_TIMEOUTS:
            raise SandboxFailure(f"{target} was not run: {MAX_TIMEOUTS} calls in a row did not return in time")
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            self.start()
        blobs = []
        header = {"target": target, "args": worker.encode(list(args), blobs),
                  "kwargs": worker.encode(dict(kwargs), blobs), "return_inputs": return_inputs}
        try:
            worker.write_message(self.proc.stdin, header, blobs)
            reply, rblobs = self._read_reply()
        except (OSError, EOFError, ProtocolError, TimeoutError) as exc:
            self.timeouts = self.timeouts + 1 if isinstance(exc, TimeoutError) else 0
            message = self._describe_failure(target, exc)
            self.stop()
            raise SandboxFailure(message) from None
        self.timeouts = 0
        if not isinstance(reply, dict) or "ok" not in reply:
            self.stop()
            raise SandboxFailure(f"{target}: the sandbox sent a malformed reply")
        if not reply["ok"]:
            raise StudentError(str(reply.get("type", "Exception")), str(reply.get("message", "")))
        try:
            value = worker.decode(reply["value"], rblobs)
            inputs = worker.decode(reply["inputs"], rblobs) if return_inputs else None
        except (ProtocolError, KeyError) as exc:
            self.stop()
            raise SandboxFailure(f"{target}: the sandbox sent a malformed reply ({exc})") from None
        if inputs is not None:
            if not (isinstance(inputs, list) and len(inputs) == 2):
                raise SandboxFailure(f"{target}: the sandbox sent a malformed reply")
            inputs = (tuple(inputs[0]), inputs[1])
        return value, inputs

    def _await_ready(self):
        """Wait for the worker's first message, sent once its set-up (confinement, imports) is done, with a
        time limit of its own: a slow start on a loaded machine costs no call its time."""
        try:
            reply, _ = self._read_reply(START_TIMEOUT)
            if reply != {"ready": True}:
                raise ProtocolError("unexpected first message")
        except (OSError, EOFError, ProtocolError, TimeoutError) as exc:
            said = self._monitor_said()
            self.stop()
            raise SandboxFailure(f"the sandbox did not start ({said or exc})") from None

    def _read_reply(self, timeout=None):
        """Read one reply in a helper thread, so that a worker that stops mid-message cannot hang us."""
        box, arrived = {}, []

        def read():
            try:
                box["reply"] = worker.read_message(self.proc.stdout, REPLY_LIMIT, HEADER_LIMIT, arrived)
            except BaseException as exc:  # noqa: BLE001  (handed to the caller below)
                box["error"] = exc

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout or self.timeout)
        if reader.is_alive():
            raise TimeoutError(f"no answer within {timeout or self.timeout:g} s")
        if "error" in box:
            raise box["error"]
        self.reply_arrived = arrived[0]
        return box["reply"]

    def _describe_failure(self, target, exc):
        if isinstance(exc, TimeoutError):
            return f"{target} did not return within {self.timeout:g} seconds (infinite loop? far too slow?)"
        code = None
        if self.proc is not None:
            try:
                code = self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        stopped = self._monitor_said()
        if stopped:
            return f"{target} was stopped: it used {stopped}"
        if code is not None and code < 0:
            sig = signal.Signals(-code).name
            return f"{target} crashed the Python process ({sig}: out of memory or CPU time?)"
        return f"{target} ended the Python process (exit code {code}): does your code call exit()?"

    def _monitor_said(self):
        """What the sandbox's monitor gave as the reason it stopped the sandbox ("" if it did not)."""
        try:
            text = (Path(self.tmp.name) / "monitor.log").read_text(errors="replace")
        except (OSError, AttributeError, TypeError):
            return ""
        return text.partition("sandbox stopped: ")[2].strip()[:200]

    def source(self, module):
        """The text of the student's module, read here on the trusted side."""
        path = self.submission / "assignment" / f"{module}.py"
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
