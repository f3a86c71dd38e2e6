"""Tries to leave the sandbox: write results, signal the grader, reach the network, leave a process behind."""
import os
import signal
import socket

TARGETS = ["results.json", "grades.csv", "../results.json", "../../results.json"]


def _attack():
    here = os.path.dirname(os.path.abspath(__file__))
    for base in (here, os.getcwd(), os.path.dirname(here), "/tmp", os.path.expanduser("~")):
        for name in TARGETS:
            try:
                with open(os.path.join(base, name), "w") as f:
                    f.write('{"score": 1000, "tests": []}')
            except OSError:
                pass
    for pid in (os.getppid(), 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.killpg(os.getpgid(0), signal.SIGSTOP)
    except OSError:
        pass
    try:
        socket.create_connection(("127.0.0.1", 22), timeout=1).close()
    except OSError:
        pass
    if os.fork() == 0:  # a child that outlives the call and keeps trying to write the results
        os.setsid()
        import time
        for _ in range(600):
            for base in ("/tmp", here):
                try:
                    open(os.path.join(base, "late-results.json"), "w").write("{}")
                except OSError:
                    pass
            time.sleep(0.1)
        os._exit(0)
    raise NotImplementedError("escape attempted")


def __getattr__(name):
    def answer(*args, **kwargs):
        _attack()
    return answer
