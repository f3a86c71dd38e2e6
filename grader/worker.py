"""The sandbox worker: runs student code and answers with plain data.

This file runs on its own inside the sandbox (it is copied there and started with `python -I`), so it
imports nothing from the course. The trusted grader imports the same codec from here to decode answers.

Wire format, both directions: a frame is an 8-byte header (JSON length, number of blobs), the JSON text,
then each blob as an 8-byte length and its bytes. Values are tagged JSON: containers and arrays are
always wrapped ({"tuple": [...]}, {"array": i, "dtype": "<f8", "shape": [2, 3]}), so nothing is ever
unpickled and every value the trusted side accepts is plain data it has checked itself.
"""
import ctypes
import importlib
import importlib.util
import json
import os
import platform
import resource
import shutil
import signal
import struct
import sys
import time

NUMERIC_KINDS = "biufc"
PROBE_FILE = "_probe.py"
MAX_DEPTH = 32


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


class Handle:
    """An object that stays in the worker (a cache, say); only its id crosses the pipe."""

    def __init__(self, ident, type_name=""):
        self.ident, self.type_name = int(ident), str(type_name)

    def __repr__(self):
        return f"<{self.type_name or 'object'} kept in the sandbox #{self.ident}>"


# ----------------------------------------------------------------------------------------- codec
def encode(value, blobs, keep=None, depth=0):
    """Turn `value` into tagged JSON, appending array bytes to `blobs`.

    Objects that are not plain data become handles when `keep` (a callable storing the object and
    returning its id) is given, and raise TypeError otherwise."""
    import numpy as np

    if depth > MAX_DEPTH:
        raise TypeError("value nested too deeply")
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        return {"int": str(value)}
    if type(value) is float:
        return {"float": repr(value)}
    if isinstance(value, Handle):
        return {"handle": value.ident}
    value = _from_torch(value)
    if isinstance(value, (np.ndarray, np.generic)) and np.asarray(value).dtype.kind in NUMERIC_KINDS:
        arr = np.asarray(value)
        blobs.append(arr.tobytes(order="C"))
        return {"array": len(blobs) - 1, "dtype": arr.dtype.str, "shape": list(arr.shape),
                "scalar": isinstance(value, np.generic)}
    if type(value) in (tuple, list):
        return {type(value).__name__: [encode(v, blobs, keep, depth + 1) for v in value]}
    if type(value) is dict and all(type(k) is str for k in value):
        return {"dict": [[k, encode(v, blobs, keep, depth + 1)] for k, v in value.items()]}
    if keep is not None:
        return {"handle": keep(value), "type": type(value).__name__}
    raise TypeError(f"cannot send a {type(value).__name__}")


def _from_torch(value):
    """A torch tensor becomes a numpy array (bfloat16 and float16 as float32); anything else is returned."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.Tensor):
        return value
    value = value.detach().cpu()
    if value.dtype in (torch.bfloat16, torch.float16):
        value = value.float()
    return value.numpy()


def decode(obj, blobs, depth=0):
    """Rebuild a value from tagged JSON, checking every piece; raises ProtocolError on anything odd."""
    import numpy as np

    if depth > MAX_DEPTH:
        raise ProtocolError("value nested too deeply")
    if obj is None or type(obj) in (bool, str):
        return obj
    if type(obj) is not dict or len(obj) == 0:
        raise ProtocolError(f"unexpected {type(obj).__name__} in message")
    tag = next(iter(obj))
    try:
        if tag == "int" and len(obj) == 1 and len(obj["int"]) < 4000:
            return int(obj["int"])
        if tag == "float" and len(obj) == 1:
            return float(obj["float"])
        if tag == "handle":
            return Handle(obj["handle"], obj.get("type", ""))
        if tag in ("tuple", "list") and len(obj) == 1 and type(obj[tag]) is list:
            items = [decode(v, blobs, depth + 1) for v in obj[tag]]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict" and len(obj) == 1:
            return {str(k): decode(v, blobs, depth + 1) for k, v in obj["dict"]}
        if tag == "array":
            dtype = np.dtype(str(obj["dtype"]))
            shape = tuple(int(n) for n in obj["shape"])
            data = blobs[int(obj["array"])]
            if dtype.kind not in NUMERIC_KINDS or any(n < 0 for n in shape):
                raise ProtocolError(f"array of dtype {dtype} is not allowed")
            if len(data) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
                raise ProtocolError("array size does not match its shape")
            arr = np.frombuffer(data, dtype=dtype).reshape(shape).copy()
            return arr[()] if obj.get("scalar") is True else arr
    except ProtocolError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, OverflowError) as exc:
        raise ProtocolError(f"malformed {tag!r} value: {exc}") from None
    raise ProtocolError(f"unknown tag {tag!r}")


def write_message(stream, header, blobs=()):
    text = json.dumps(header).encode()
    stream.write(struct.pack("<II", len(text), len(blobs)) + text)
    for blob in blobs:
        stream.write(struct.pack("<Q", len(blob)))
        stream.write(blob)
    stream.flush()


def read_exact(stream, n):
    data = stream.read(n)
    if data is None or len(data) != n:
        raise EOFError("the other side closed the pipe")
    return data


def read_message(stream, limit, header_limit=None, arrived=None):
    """Read one frame; refuse frames over `limit` bytes in all, or whose JSON part is over `header_limit`.
    The time its first bytes arrived (the sender had built the whole message by then) goes into `arrived`."""
    size, nblobs = struct.unpack("<II", read_exact(stream, 8))
    if arrived is not None:
        arrived.append(time.perf_counter())
    if size > min(limit, header_limit or limit) or nblobs > 4096:
        raise ProtocolError("message too large")
    try:
        header = json.loads(read_exact(stream, size))
    except ValueError as exc:
        raise ProtocolError(f"message is not JSON: {exc}") from None
    blobs, total = [], size
    for _ in range(nblobs):
        (n,) = struct.unpack("<Q", read_exact(stream, 8))
        total += n
        if total > limit:
            raise ProtocolError("message too large")
        blobs.append(read_exact(stream, n))
    return header, blobs


# ------------------------------------------------------------------------------------ confinement
# The grader starts `python -I _worker.py CONFIG` (CONFIG: a JSON file outside the sandbox; nothing secret is
# ever on a command line, which student code could read in /proc). Three processes follow:
#   monitor  the process the grader started. It stays outside, as the grader's user, and bounds the whole
#            sandbox: processes, memory and CPU time summed over all of them, the size of the folders it
#            may write to on the host; it kills everything when a bound is passed, when the grader dies
#            (parent-death signal) or when it is told to stop.
#   keeper   ("namespaces" only) makes new user, mount, pid, net, ipc and uts namespaces; the monitor maps
#            its root to an unprivileged uid of its own (a root grader) or to the grader's own uid.
#   sandbox  pid 1 of the new pid namespace (or a plain child at the "process" level): builds a root file
#            system that holds only the allowed paths, read-only, and a private writable tmpfs with a copy
#            of the sandbox's files; then runs the worker loop or execs a command (a Jupyter kernel).
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
MNT_DETACH = 2
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}  # syscall numbers (glibc has no wrapper)
INSIDE = "/sandbox"     # the sandbox's own folder, as student code sees it ("namespaces")
NEWROOT = "/tmp"        # where the new root is built: a folder that exists and that any uid may pass through
UID_BASE = 1 << 20      # a root grader runs each sandbox as uid UID_BASE + its monitor's pid
POLL = 0.05             # seconds between the monitor's looks
PARENT_VARIABLE = "COURSE_SANDBOX_PARENT"  # the pid of the process that starts the sandbox, set by that process


def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def die_with_parent(expected=None, sig=signal.SIGKILL):
    """Ask the kernel to send `sig` to this process when its parent ends (Linux); exit at once when the
    parent is already gone (it is not `expected`, the pid that started us, or it changed meanwhile)."""
    parent = os.getppid()
    try:
        _libc().prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != (expected or parent):
        os._exit(1)


def _exit_like(status):
    """End this process the way a child with wait status `status` ended."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _mount(libc, src, target, fstype, flags, data=None):
    _check(libc.mount(src, str(target).encode(), fstype, flags, data), f"mount {target}")


def _bind(libc, source, target, writable=False, device=False, directory=True):
    """Bind `source` (a path, or /proc/self/fd/N) on `target`, read-only unless `writable`, nosuid."""
    if directory:
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    _mount(libc, source.encode(), target, None, MS_BIND | MS_REC)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if device else MS_NODEV) | (0 if writable else MS_RDONLY)
    try:
        _mount(libc, None, target, None, flags)
    except OSError:  # the source mount has noexec locked on: keep it
        _mount(libc, None, target, None, flags | MS_NOEXEC)


def open_sources(config):
    """O_PATH handles on every host path the sandbox will see, opened while this process still has the
    grader's file access (so folders such as a 0700 home on the way to Python can be passed through)."""
    paths = [p for p in config["allowed"] if os.path.exists(p) and not os.path.islink(p)]
    paths += [config["source"]] + ([config["sockets"]] if config.get("sockets") else [])
    paths += [f"/dev/{d}" for d in ("null", "zero", "random", "urandom")]
    return {p: os.open(p, os.O_PATH) for p in dict.fromkeys(paths)}


def build_root(config, fds):
    """Inside the new namespaces (we are root there): a new root file system in NEWROOT holding
    the allowed paths (read-only), a fresh /proc, a few devices, a private /tmp, the sockets folder (if any,
    writable) and INSIDE, a size-limited tmpfs holding a copy of config["source"]; hidden paths covered;
    pivot_root there; then a nested user namespace, so that none of this can be undone (the mounts become
    locked and the capabilities go)."""
    libc = _libc()
    newroot = NEWROOT  # mounted over in this mount namespace only; the host paths are reached through `fds`
    fd = {path: f"/proc/self/fd/{n}" for path, n in fds.items()}
    _mount(libc, b"none", newroot, b"tmpfs", MS_NOSUID | MS_NODEV, b"size=1m,mode=0755")
    os.makedirs(newroot + "/tmp")  # first: allowed paths may lie below /tmp
    _mount(libc, b"none", newroot + "/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, b"size=64m,mode=1777")
    os.makedirs(newroot + "/proc")  # while the old /proc is visible: the kernel allows a new one only then
    _mount(libc, b"proc", newroot + "/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for device in ("null", "zero", "random", "urandom"):
        _bind(libc, fd[f"/dev/{device}"], newroot + f"/dev/{device}", writable=device == "null", device=True,
              directory=False)
    for path in config["allowed"]:
        if os.path.islink(path):
            os.makedirs(os.path.dirname(newroot + path), exist_ok=True)
            os.symlink(os.readlink(path), newroot + path)
        elif path in fd:
            _bind(libc, fd[path], newroot + path, directory=os.path.isdir(fd[path]))
    if config.get("sockets"):
        _bind(libc, fd[config["sockets"]], newroot + config["sockets"], writable=True)
    inside = newroot + INSIDE
    os.makedirs(inside)
    size = f"size={int(config.get('disk') or 256 << 20)},mode=0755".encode()
    _mount(libc, b"none", inside, b"tmpfs", MS_NOSUID | MS_NODEV, size)
    shutil.copytree(fd[config["source"]], inside, dirs_exist_ok=True, symlinks=True)
    for path in config.get("hidden", []):
        if os.path.isdir(newroot + path):
            _mount(libc, b"none", newroot + path, b"tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, b"size=4k,mode=0555")
        elif os.path.exists(newroot + path):
            _mount(libc, fd["/dev/null"].encode(), newroot + path, None, MS_BIND)
    for n in fds.values():
        os.close(n)
    # pivot_root rather than chroot: a chrooted process may not create the nested user namespace.
    os.chdir(newroot)
    _check(libc.syscall(PIVOT_ROOT[platform.machine()], b".", b"."), "pivot_root")
    _check(libc.umount2(b".", MNT_DETACH), "umount old root")  # the old root, stacked on the new one, goes
    _mount(libc, None, "/", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    os.chdir(INSIDE)
    _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "nested user namespace")
    return INSIDE


def limit_resources(config):
    """Per-process limits, set inside the sandbox (the monitor bounds the sums)."""
    for what, value in ((resource.RLIMIT_AS, config.get("memory")), (resource.RLIMIT_CPU, config.get("cpu")),
                        (resource.RLIMIT_FSIZE, config.get("file_size", 64 << 20)), (resource.RLIMIT_CORE, 0),
                        (resource.RLIMIT_NOFILE, 256), (resource.RLIMIT_NPROC, config.get("processes"))):
        if value or what == resource.RLIMIT_CORE:
            resource.setrlimit(what, (value, value))
    _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


class Monitor:
    """The bounds that hold for the sandbox as a whole, checked from outside every POLL seconds."""

    def __init__(self, config):
        self.me = os.getpid()
        self.config = config
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.ticks = os.sysconf("SC_CLK_TCK")
        self.reason = ""

    def tree(self):
        """{pid: [utime+stime+cutime+cstime ticks, private resident bytes]} of every process below us."""
        parents = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                try:
                    with open(f"/proc/{name}/stat", "rb") as f:
                        fields = f.read().rpartition(b")")[2].split()
                    parents[int(name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
                except (OSError, ValueError, IndexError):
                    continue
        found, todo = {}, [self.me]
        children = {}
        for pid, (ppid, _) in parents.items():
            children.setdefault(ppid, []).append(pid)
        while todo:
            for pid in children.get(todo.pop(), []):
                if pid not in found:
                    found[pid] = [parents[pid][1], self._private_memory(pid)]
                    todo.append(pid)
        return found

    def _private_memory(self, pid):
        try:
            with open(f"/proc/{pid}/statm") as f:
                resident, shared = (int(x) for x in f.read().split()[1:3])
            return (resident - shared) * self.page
        except (OSError, ValueError):
            return 0

    def folder_bytes(self, path, most=10000):
        """Bytes in `path` (not following links); counts past `most` entries as over any bound."""
        total, todo, seen = 0, [path], 0
        while todo:
            try:
                entries = list(os.scandir(todo.pop()))
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > most:
                    return float("inf")
                st = entry.stat(follow_symlinks=False)
                total += st.st_blocks * 512
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
        return total

    def over(self, tree, ticks_gone):
        cfg = self.config
        if cfg.get("processes") and len(tree) > cfg["processes"] + 2:  # + the keeper and the monitor's child
            return f"more than {cfg['processes']} processes"
        if cfg.get("total_memory") and sum(m for _, m in tree.values()) > cfg["total_memory"]:
            return f"more than {cfg['total_memory'] >> 20} MiB of memory in all"
        if cfg.get("total_cpu") and (sum(t for t, _ in tree.values()) + ticks_gone) / self.ticks > cfg["total_cpu"]:
            return f"more than {cfg['total_cpu']} s of CPU time in all"
        for path in cfg.get("watch", []):
            if self.folder_bytes(path) > cfg.get("disk", 256 << 20):
                return f"more than {cfg.get('disk', 256 << 20) >> 20} MiB written to disk"
        return ""

    def kill_all(self):
        for _ in range(50):
            tree = self.tree()
            if not tree:
                return
            for pid in tree:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)

    def watch(self, child):
        """Wait for `child`, enforcing the bounds; returns its wait status (SIGKILL when a bound was passed)."""
        stop = []
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda s, f: stop.append(s))
        signal.signal(signal.SIGINT, lambda s, f: _forward(child, s))
        ticks_gone, last = 0, {}
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG)  # we are a subreaper: orphans come back to us
            if pid == child:
                break
            if stop:
                self.kill_all()
                return stop[0]  # a signal number is also the wait status of a process it killed
            tree = self.tree()
            ticks_gone += sum(t for p, t in last.items() if p not in tree)
            last = {p: t for p, (t, _) in tree.items()}
            self.reason = self.over(tree, ticks_gone)
            if self.reason:
                self.kill_all()
                os.waitpid(child, 0)
                return int(signal.SIGKILL)
            time.sleep(POLL)
        self.kill_all()
        return status


def _forward(pid, sig):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def run_monitored(config):
    """The monitor: start the sandbox (through the keeper at the "namespaces" level), watch it, end like it."""
    die_with_parent(int(os.environ.get(PARENT_VARIABLE) or 0))
    libc = _libc()
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    namespaced = config["level"] == "namespaces"
    uid = UID_BASE + os.getpid() if os.geteuid() == 0 else os.geteuid()
    gid = uid if os.geteuid() == 0 else os.getegid()
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(ready_r)
        os.close(go_w)
        die_with_parent()
        if namespaced:
            keeper(config, ready_w, go_r)
        else:
            run_sandbox(config, None)
        os._exit(0)
    os.close(ready_w)
    os.close(go_r)
    if namespaced:
        if os.read(ready_r, 1) != b"1":
            os.waitpid(child, 0)
            os._exit(70)
        if os.geteuid() != 0:
            with open(f"/proc/{child}/setgroups", "w") as f:
                f.write("deny")
        with open(f"/proc/{child}/uid_map", "w") as f:
            f.write(f"0 {uid} 1")
        with open(f"/proc/{child}/gid_map", "w") as f:
            f.write(f"0 {gid} 1")
        if config.get("sockets") and os.geteuid() == 0:  # the folder and what the grader put there (the
            os.chown(config["sockets"], uid, gid)         # kernel's connection file) become the sandbox's
            for entry in os.scandir(config["sockets"]):
                if entry.is_file(follow_symlinks=False):
                    os.chown(entry.path, uid, gid, follow_symlinks=False)
    os.write(go_w, b"1")
    os.close(go_w)
    # The sandbox alone holds the grader's pipes now: when it ends, the grader reads the end of them.
    devnull = os.open(os.devnull, os.O_RDWR)
    for n in (0, 1):
        os.dup2(devnull, n)
    monitor = Monitor(config)
    result = monitor.watch(child)
    if monitor.reason:
        print(f"sandbox stopped: {monitor.reason}", file=sys.stderr)
    _exit_like(int(result))


def keeper(config, ready, go):
    """New namespaces, then wait for the monitor to map our root; start the sandbox as pid 1 and wait."""
    fds = None
    try:
        _check(_libc().unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
                               | CLONE_NEWUTS), "unshare")
        fds = open_sources(config)
        os.write(ready, b"1")
    except OSError:
        os._exit(70)
    if os.read(go, 1) != b"1":
        os._exit(70)
    try:
        os.setgroups([])
    except OSError:
        pass  # an unprivileged grader has no groups to drop and may not call setgroups
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    die_with_parent()  # a change of uid clears the parent-death signal
    child = os.fork()
    if child == 0:
        die_with_parent()
        run_sandbox(config, fds)
        os._exit(0)
    for n in fds.values():
        os.close(n)
    signal.signal(signal.SIGINT, lambda s, f: _forward(child, s))
    _, status = os.waitpid(child, 0)
    _exit_like(status)


def run_sandbox(config, fds):
    """Build the confinement (fds given: "namespaces"), set the limits, then serve or exec."""
    try:
        workdir = build_root(config, fds) if fds is not None else config["source"]
        limit_resources(config)
    except OSError as exc:
        print(f"sandbox set-up failed: {exc}", file=sys.stderr)
        os._exit(70)
    os.chdir(workdir)
    if config.get("command"):  # e.g. a Jupyter kernel that runs in the same confinement, with a clean environment
        scratch = os.path.join(workdir, ".sandbox-tmp")
        os.makedirs(scratch, exist_ok=True)
        env = dict(config.get("env", {}), HOME=scratch, TMPDIR=scratch, MPLCONFIGDIR=scratch, IPYTHONDIR=scratch)
        os.execvpe(config["command"][0], config["command"], env)
    # The pipe to the grader moves off stdin/stdout, so student prints cannot corrupt replies.
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    log = os.open(os.path.join(workdir, "student-output.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    serve(workdir, requests, replies)


# ------------------------------------------------------------------------------------------ serving
def load_probe(workdir):
    """The grader's trusted helpers (`_probe.py`, present for the PyTorch parts), loaded before any student
    code under a private name that is not in sys.modules; None when absent."""
    path = os.path.join(workdir, PROBE_FILE)
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location("_course_probe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def serve(workdir, requests, replies):
    """Answer call requests until the pipe closes."""
    import numpy  # noqa: F401  (imported before student code runs, so it cannot be shadowed)

    sys.path.insert(0, workdir)
    probe = load_probe(workdir)
    write_message(replies, {"ready": True})  # set-up done: call timeouts count from here
    kept, counter = {}, [0]

    def keep(obj):
        counter[0] += 1
        kept[counter[0]] = obj
        return counter[0]

    def resolve(value):
        if isinstance(value, Handle):
            if value.ident not in kept:
                raise KeyError(f"object #{value.ident} is no longer in the sandbox")
            return kept[value.ident]
        if isinstance(value, (tuple, list)):
            return type(value)(resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: resolve(v) for k, v in value.items()}
        return value

    while True:
        try:
            header, blobs = read_message(requests, 1 << 31)
        except EOFError:
            return
        blobs_out = []
        try:
            args = resolve(decode(header["args"], blobs))
            kwargs = resolve(decode(header["kwargs"], blobs))
            if header["target"] == "__noop__":  # measures the round trip itself
                value = None
            elif header["target"] in ("__method__", "__attribute__"):  # on an object kept here (a Handle):
                obj, path, *args = args                                # obj.path(*args, **kwargs) or obj.path
                for name in str(path).split("."):
                    obj = getattr(obj, name)
                value = obj(*args, **kwargs) if header["target"] == "__method__" else obj
            else:
                module_name, _, func_name = header["target"].rpartition(".")
                if module_name == "probe" and probe is not None:
                    func = getattr(probe, func_name)
                else:
                    func = getattr(importlib.import_module("assignment." + module_name), func_name)
                value = func(*args, **kwargs)
            reply = {"ok": True, "value": encode(value, blobs_out, keep)}
            if header.get("return_inputs"):
                reply["inputs"] = encode([list(args), kwargs], blobs_out, keep)
        except BaseException as exc:  # noqa: BLE001  (student code may raise anything, SystemExit included)
            blobs_out = []
            reply = {"ok": False, "type": type(exc).__name__, "message": str(exc)[:2000]}
        write_message(replies, reply, blobs_out)


def main():
    with open(sys.argv[1]) as f:
        config = json.load(f)
    if config.get("command") and len(sys.argv) > 2:  # a Jupyter kernel's connection file
        config["command"] = [sys.argv[2] if a == "{connection_file}" else a for a in config["command"]]
    run_monitored(config)


if __name__ == "__main__":
    main()
