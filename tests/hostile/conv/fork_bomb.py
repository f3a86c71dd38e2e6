"""Spawns processes when imported, as many as it can, each of them sleeping: the sandbox's process limit stops
it, and every one of them dies with the sandbox."""
import os
import time

for _ in range(5000):
    try:
        if os.fork() == 0:
            time.sleep(3600)
            os._exit(0)
    except OSError:
        break


def __getattr__(name):
    raise NotImplementedError("fork bomb")
