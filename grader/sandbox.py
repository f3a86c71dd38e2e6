"""Run student code in a separate, confined process and talk to it with plain data only.

Isolation levels, strongest first (the grader uses the strongest that works here and records it):
- "bwrap":      bubblewrap: new user, mount, pid, net and ipc namespaces; read-only file system;
                course internals hidden; only the sandbox's own folder writable.
- "namespaces": the same built from util-linux `unshare` and a nested user namespace (no bubblewrap needed).
- "process":    a plain child process with resource limits only; student code could read the reference
                solutions and reach the network. The grader warns loudly and records this level.
Resource limits (memory, CPU time, file size, open files) and a per-call wall-clock timeout apply always.
"""
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from grader import worker
from grader.worker import Handle, ProtocolError  # noqa: F401  (re-exported for suites)

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ("bwrap", "namespaces", "process")
REPLY_LIMIT = 1 << 30
MAX_TIMEOUTS = 3


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


def _confined_command(level, workdir, hidden, argv, newroot=None):
    """The command line that starts `argv` (a worker.py invocation) at the given isolation level;
    `newroot` is an empty folder to build the sandbox's root in (default: beside `workdir`)."""
    workdir = str(workdir)
    if level == "bwrap":
        cmd = ["bwrap", "--die-with-parent", "--unshare-all", "--new-session", "--dev", "/dev", "--proc", "/proc",
               "--tmpfs", "/tmp"]
        for path in allowed_paths():
            if os.path.islink(path):
                cmd += ["--symlink", os.readlink(path), path]
            else:
                cmd += ["--ro-bind", path, path]
        for path in hidden:
            if os.path.isdir(path):
                cmd += ["--tmpfs", str(path), "--remount-ro", str(path)]
            elif os.path.exists(path):
                cmd += ["--ro-bind", "/dev/null", str(path)]
        return cmd + ["--bind", workdir, workdir, "--chdir", workdir] + argv
    if level == "namespaces":
        newroot = Path(newroot or Path(workdir).parent / "rootfs")
        newroot.mkdir(exist_ok=True)
        confine = [f"--confine={newroot}"] + [f"--allow={p}" for p in allowed_paths()] + [f"--hide={p}" for p in hidden]
        return ["unshare", "--user", "--map-root-user", "--mount", "--net", "--pid", "--ipc", "--fork",
                "--kill-child"] + argv[:4] + confine + argv[4:]
    return argv


@functools.lru_cache(maxsize=None)
def available_levels():
    """The isolation levels that actually work on this machine (each is tried once, for real)."""
    found = []
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "probe"
        probe.mkdir()
        test = ("import os,sys; assert not os.path.exists(sys.argv[1]); "
                "open(os.path.join(os.getcwd(), 'ok'), 'w').write('1')")
        for level in LEVELS[:-1]:
            if level == "bwrap" and not shutil.which("bwrap"):
                continue
            if level == "namespaces" and not shutil.which("unshare"):
                continue
            argv = _worker_argv(probe, copy=False) + ["--exec", sys.executable, "-I", "-c", test, worker.__file__]
            try:
                proc = subprocess.run(_confined_command(level, probe, [], argv), capture_output=True,
                                      timeout=60)
                if proc.returncode == 0 and (probe / "ok").exists():
                    found.append(level)
            except (OSError, subprocess.SubprocessError):
                pass
            (probe / "ok").unlink(missing_ok=True)
    return tuple(found) + ("process",)


def best_level():
    return available_levels()[0]


def _worker_argv(workdir, copy=True):
    """`python -I worker.py WORKDIR`, with worker.py copied into the sandbox's own folder."""
    script = Path(workdir) / "_worker.py"
    if copy or not script.exists():
        shutil.copyfile(worker.__file__, script)
    return [sys.executable, "-I", str(script), str(workdir)]


def prepare_submission(submission, modules, dest):
    """Lay out `dest/assignment/`: the trusted helper modules from the release plus, from the
    submission, only the student-editable `modules` (a missing one stays the release stub)."""
    pkg = Path(dest) / "assignment"
    shutil.copytree(ROOT / "assignment", pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in modules:
        src = Path(submission) / "assignment" / f"{name}.py"
        if src.is_file() and not src.is_symlink():
            shutil.copyfile(src, pkg / f"{name}.py")
    return pkg


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
        self.timeouts = 0  # consecutive; after MAX_TIMEOUTS the remaining calls fail at once

    # -- life cycle
    def start(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="course-sandbox-")
        workdir = Path(self.tmp.name) / "work"
        workdir.mkdir()
        prepare_submission(self.submission, self.modules, workdir)
        if self.probe:
            shutil.copyfile(ROOT / "grader" / "probe.py", workdir / worker.PROBE_FILE)
        (workdir / "tmp").mkdir()
        argv = _worker_argv(workdir) + [f"--memory={self.memory}", f"--cpu={self.cpu}"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir), "TMPDIR": str(workdir / "tmp"),
               "MPLCONFIGDIR": str(workdir / "tmp"), "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "LANG": "C.UTF-8"}
        self.proc = subprocess.Popen(_confined_command(self.level, workdir, self.hidden, argv),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=env, cwd=workdir, start_new_session=True)

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

    def time(self, target, *args, repeat=5, **kwargs):
        """Median wall time of the call seen from the trusted side, less the round trip of a no-op call."""
        def once(t, a, k):
            start = time.perf_counter()
            self._call(t, a, k)
            return time.perf_counter() - start

        once(target, args, kwargs)  # warm-up (imports, caches)
        base = sorted(once("__noop__", (), {}) for _ in range(5))[2]
        runs = sorted(once(target, args, kwargs) for _ in range(repeat))
        return max(runs[len(runs) // 2] - base, 1e-9)

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

    def _read_reply(self):
        """Read one reply in a helper thread, so that a worker that stops mid-message cannot hang us."""
        box = {}

        def read():
            try:
                box["reply"] = worker.read_message(self.proc.stdout, REPLY_LIMIT)
            except BaseException as exc:  # noqa: BLE001  (handed to the caller below)
                box["error"] = exc

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(self.timeout)
        if reader.is_alive():
            raise TimeoutError(f"no answer within {self.timeout:g} s")
        if "error" in box:
            raise box["error"]
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
        if code is not None and code < 0:
            sig = signal.Signals(-code).name
            return f"{target} crashed the Python process ({sig}: out of memory or CPU time?)"
        return f"{target} ended the Python process (exit code {code}): does your code call exit()?"

    def source(self, module):
        """The text of the student's module, read here on the trusted side."""
        path = self.submission / "assignment" / f"{module}.py"
        try:
            return path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
