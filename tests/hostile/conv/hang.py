"""Never returns: a busy loop in every function, ignoring interrupts."""
import signal

for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
    signal.signal(sig, signal.SIG_IGN)


def __getattr__(name):
    def answer(*args, **kwargs):
        while True:
            pass
    return answer
