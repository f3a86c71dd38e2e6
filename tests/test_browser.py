"""The student's JupyterLab workflow in a real browser: headless Chromium, driven by Selenium.

`make lab` runs on a copy of the release (assignment/ and notebooks/ as students receive them, with the Makefile),
as the current user (root here and in CI, so the --allow-root handling is exercised). The test then does what a
student does, reading JupyterLab's page to check each step:
  a. `make lab` opens notebook 01; the lab's root is the course folder, so assignment/ is in the file browser;
  b. the notebook's first cells run in a real kernel (the setup cell, `from assignment import conv`), and the
     public checks of section 1 stop at the stub's NotImplementedError;
  c. assignment/conv.py opens in JupyterLab's editor; the stub's line is replaced by typing an implementation of
     conv_output_size; the file is saved;
  d. the same checks, run again in the notebook, use the edit (autoreload): their conv_output_size lines pass;
  e. nbgrader's Validate button, in the notebook's toolbar, reports the unanswered (graded) cells;
  f. the server stops on a shutdown request, with its kernel, and nothing the test started is left running.

Each step leaves a screenshot in build/browser/ (git-ignored), with the server's log; the test prints where.
Without Selenium, Chromium or its driver the test is skipped and says what to install; with
COURSE_REQUIRE_BROWSER=1 (.ci/run sets it) it fails instead, so CI cannot skip it unnoticed."""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

from grader.demo import release_copy

ROOT = Path(__file__).resolve().parent.parent
ARTEFACTS = ROOT / "build" / "browser"
NOTEBOOK = "notebooks/01_conv_layer.ipynb"
INSTALL_BROWSER = "apt-get install chromium chromium-driver"
# Chromium as root needs --no-sandbox; the others keep it off the network (it would try Google's hosts) and quiet.
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--disable-default-apps", "--disable-extensions",
                  "--no-default-browser-check", "--window-size=1440,960", "--lang=en-US")
# JupyterLab settings of the test's own (temporary) user: no news or update checks, which would go online.
LAB_SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                {"fetchNews": "false", "checkForUpdates": False}}
SLOW = 90  # seconds: a kernel start, a page load or a validation on a slow, shared machine
# The implementation typed into conv.py in place of the stub's `raise NotImplementedError(...)`: PyTorch's formula,
# without the argument checks (so the public checks pass the sizes, then ask for the missing ValueError).
TYPED = "return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1"


def _unavailable(reason):
    if os.environ.get("COURSE_REQUIRE_BROWSER", "").strip() not in ("", "0"):
        pytest.fail(f"{reason} (COURSE_REQUIRE_BROWSER is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def _say(request, text):
    """A line on the terminal at once, captured output or not."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(text)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(f"  ... {text}")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _processes(marker):
    """Pids of the running processes whose environment holds the entry `marker` (NAME=value)."""
    needle = marker.encode() + b"\0"
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if int(pid) != os.getpid() and needle in Path(f"/proc/{pid}/environ").read_bytes():
                found.append(int(pid))
        except OSError:
            continue
    return found


def _left_behind(marker, grace=10):
    """The processes marked `marker` still running after `grace` seconds, ended (TERM, then KILL) by their pid."""
    deadline = time.monotonic() + grace
    while (pids := _processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.25)
    if not pids:
        return []
    names = []
    for pid in pids:
        try:
            names.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:150])
        except OSError:
            names.append(str(pid))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        stop = time.monotonic() + 5
        while any(Path(f"/proc/{p}").exists() for p in pids) and time.monotonic() < stop:
            time.sleep(0.2)
    return names


@pytest.fixture
def tools():
    """Chromium and its driver, or a skip that says what to install."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        _unavailable("the browser test needs Selenium: pip install selenium (it is in the dev extra: "
                     "pip install -e '.[dev]')")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or next((p for p in ("/usr/bin/chromedriver",) if os.path.exists(p)), None)
    if not chromium or not driver:
        missing = " and ".join(n for n, path in (("chromium", chromium), ("chromedriver", driver)) if not path)
        _unavailable(f"no {missing} found for the browser test: install Chromium and its driver with "
                     f"`{INSTALL_BROWSER}` (Debian/Ubuntu, as root or with sudo)")
    return chromium, driver


class Lab:
    """`make lab` on a copy of the release in a temporary folder, with its own home and Jupyter folders."""

    def __init__(self, tmp, marker):
        self.tmp, self.marker = tmp, marker
        self.copy = release_copy(tmp / "course")
        for name in ("Makefile", "pyproject.toml"):
            shutil.copy(ROOT / name, self.copy / name)
        self.venv = Path(sys.prefix)
        assert (self.venv / "bin" / "jupyter").exists(), f"no jupyter in {self.venv}: pip install -e '.[dev]'"
        self.token = secrets.token_hex(16)
        self.port = _free_port()
        self.home = tmp / "home"
        config = self.home / "jupyter-config"
        for rel, values in LAB_SETTINGS.items():
            path = config / "lab" / "user-settings" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        # The lab "opens a browser" through this script, which only writes down what it was given (the server's
        # redirect page, file://...-open.html); the test's browser then opens that, as a student's browser would.
        self.opened = tmp / "opened-url"
        opener = tmp / "open-browser"
        opener.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" > "{self.opened}"\n')
        opener.chmod(0o755)
        (config / "jupyter_server_config.json").write_text(json.dumps({"ServerApp": {"browser": f"{opener} %s"}}))
        # Nothing in the user's home is touched: Jupyter's, IPython's, matplotlib's and the caches' folders are here.
        # The venv's share/jupyter (JupyterLab's and nbgrader's extensions) is found through sys.prefix, as usual.
        outer = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "JUPYTER_PATH")  # e.g. from `make test`, which runs pytest
        self.env = {k: v for k, v in os.environ.items() if k not in outer}
        self.env.update(HOME=str(self.home), JUPYTER_CONFIG_DIR=str(config),
                        JUPYTER_DATA_DIR=str(self.home / "jupyter-data"),
                        JUPYTER_RUNTIME_DIR=str(self.home / "jupyter-runtime"), IPYTHONDIR=str(self.home / "ipython"),
                        MPLCONFIGDIR=str(self.home / "matplotlib"), XDG_CACHE_HOME=str(self.home / "cache"),
                        XDG_CONFIG_HOME=str(self.home / "config"), COURSE_SMOKE="1")
        # make's stamp ($(VENV)/.installed) is older than the copied pyproject.toml, and its torch check runs every
        # time: -o (--assume-old) keeps make from remaking either (a reinstall would point the editable install at
        # the copy), so `lab`'s own recipe runs, as it does for a student whose .venv is set up.
        lab_args = f"--port={self.port} --IdentityProvider.token={self.token}"
        self.command = ["make", "--no-print-directory", "-C", str(self.copy), "-o", f"{self.venv}/.installed",
                        "lab", f"VENV={self.venv}", f"LAB_ARGS={lab_args}"]
        self.log_path = tmp / "jupyter-lab.log"
        self.process = self._log = None

    def start(self):
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(self.command, cwd=self.tmp, env={**self.env, "COURSE_TEST_MARK": self.marker},
                                        stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_browser(self, timeout=SLOW):
        """What `make lab` asked the browser to open, and the lab's address that it leads to."""
        deadline = time.monotonic() + timeout
        while not (self.opened.exists() and self.opened.read_text().strip()):
            if self.process.poll() is not None:
                raise AssertionError(f"`make lab` stopped (exit {self.process.returncode}):\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"`make lab` opened no browser in {timeout} s:\n{self.log()[-4000:]}")
            time.sleep(0.25)
        opened = self.opened.read_text().strip()
        target = opened
        if opened.startswith("file:"):  # the redirect page: its link is the lab's address, with the token
            page = Path(unquote(urlparse(opened).path)).read_text()
            found = re.search(r'http://[^"\'\s<>]+', page)
            assert found, f"no address in the lab's redirect page {opened}:\n{page}"
            target = found.group(0)
        self.port = urlparse(target).port or self.port  # Jupyter takes the next port when ours was taken meanwhile
        return opened, target

    def stop(self):
        """Shut the server down as its user would (it stops its kernels first); signals only if that fails."""
        if self.process is not None and self.process.poll() is None:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/shutdown", method="POST",
                                                 headers={"Authorization": f"token {self.token}"})
                urllib.request.urlopen(request, timeout=10).close()
                self.process.wait(timeout=30)
            except Exception:
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    try:
                        os.killpg(self.process.pid, sig)
                        self.process.wait(timeout=15)
                        break
                    except (OSError, subprocess.TimeoutExpired):
                        continue
        if self._log is not None:
            self._log.close()


@pytest.fixture
def artefacts(request):
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    ARTEFACTS.mkdir(parents=True)
    yield ARTEFACTS
    _say(request, f"browser test: screenshots and the server's log in {ARTEFACTS}")


@pytest.fixture
def lab(tools, tmp_path, artefacts):
    lab = Lab(tmp_path, f"lab-{secrets.token_hex(8)}")
    try:
        yield lab
    finally:
        lab.stop()
        if lab.log_path.exists():
            shutil.copy(lab.log_path, artefacts / "jupyter-lab.log")
        left = _left_behind(f"COURSE_TEST_MARK={lab.marker}")
        assert not left, f"`make lab` left processes behind (ended now): {left}"


@pytest.fixture
def browser(tools, tmp_path, lab):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = tools
    mark = f"chromium-{secrets.token_hex(8)}"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    service = Service(chromedriver, env={**lab.env, "COURSE_TEST_MARK": mark},
                      log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        try:
            driver.quit()
        finally:
            left = _left_behind(f"COURSE_TEST_MARK={mark}")
            assert not left, f"the browser left processes behind (ended now): {left}"


class Page:
    """JupyterLab's page, read through its DOM and driven with clicks and keys, with explicit waits."""

    def __init__(self, driver, artefacts):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        self.driver, self.artefacts, self.By, self.Keys, self.ActionChains = driver, artefacts, By, Keys, ActionChains
        self.shots, self.started = [], time.monotonic()

    def shot(self, name):
        path = self.artefacts / f"{len(self.shots) + 1:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        self.shots.append((path.name, time.monotonic() - self.started))
        return path

    def wait(self, condition, what, timeout=30):
        """condition()'s first true value within `timeout` s; errors while the page changes count as not yet."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                value = condition()
                if value:
                    return value
            except Exception as error:  # e.g. an element replaced while being read
                last = error
            time.sleep(0.25)
        path = self.shot("timeout")
        raise AssertionError(f"timed out after {timeout} s waiting for {what} (screenshot: {path})"
                             + (f"; last error: {last!r}" if last else ""))

    def css(self, selector, root=None):
        return (root or self.driver).find_elements(self.By.CSS_SELECTOR, selector)

    def first(self, selector, root=None, displayed=True):
        return next((e for e in self.css(selector, root) if not displayed or e.is_displayed()), None)

    def text(self, element):
        """The element's text, on screen or not (cells off screen are not rendered: innerText would be empty)."""
        return element.get_attribute("textContent") or ""

    def show(self, element):
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)

    def keys(self, *keys):
        self.ActionChains(self.driver).send_keys(*keys).perform()

    def chord(self, modifier, key):
        self.ActionChains(self.driver).key_down(modifier).send_keys(key).key_up(modifier).perform()

    def menu(self, name, item):
        self.wait(lambda: next(e for e in self.css(".lm-MenuBar-item") if self.text(e).strip() == name),
                  f"the {name} menu").click()
        self.wait(lambda: next((e for e in self.css(".lm-Menu-item") if self.text(e).strip().startswith(item)), None),
                  f"{name} > {item} in the menu").click()

    def shift_click(self, element, x, y):
        """Shift+click at (x, y) from the element's top-left corner."""
        size = element.size
        (self.ActionChains(self.driver).key_down(self.Keys.SHIFT)
         .move_to_element_with_offset(element, int(x - size["width"] / 2), int(y - size["height"] / 2))
         .click().key_up(self.Keys.SHIFT).perform())

    # -- the file browser and the tabs

    def listing(self):
        return [self.text(e).strip() for e in self.css(".jp-FileBrowser .jp-DirListing-item .jp-DirListing-itemText")]

    def open_listed(self, name):
        """Double-click `name` in the file browser: a folder opens in it, a file in its editor."""
        def double_click():
            item = next((e for e in self.css(".jp-FileBrowser .jp-DirListing-item")
                         if [self.text(t).strip() for t in self.css(".jp-DirListing-itemText", e)] == [name]), None)
            if item is not None:
                self.ActionChains(self.driver).double_click(item).perform()
                return True
        self.wait(double_click, f"{name} in the file browser")

    def tab(self, name):
        self.wait(lambda: next((t for t in self.css(".lm-DockPanel-tabBar .lm-TabBar-tab")
                                if self.text(t).strip() == name), None), f"the tab {name}").click()

    # -- the notebook

    def notebook(self):
        return self.wait(lambda: self.first(".jp-NotebookPanel"), "a notebook on screen")

    def cell(self, index):
        return self.wait(lambda: (lambda cells: cells[index] if len(cells) > index else None)(
            self.css(".jp-Cell", self.notebook())), f"cell {index} of the notebook")

    def prompt(self, index):
        return self.text(self.css(".jp-InputPrompt", self.cell(index))[0]).strip()

    def output(self, index):
        return "\n".join(self.text(o) for o in self.css(".jp-OutputArea-output", self.cell(index)))

    def errors(self, index):
        return "\n".join(self.text(o) for o in self.css(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]', self.cell(index)))

    def run(self, index, timeout=SLOW):
        """Select cell `index` (a click on its prompt: command mode), run it with Shift+Enter, wait for its result."""
        cell = self.cell(index)
        self.show(cell)
        before = self.prompt(index)
        self.css(".jp-InputPrompt", cell)[0].click()
        self.wait(lambda: "jp-mod-selected" in self.cell(index).get_attribute("class"), f"cell {index} selected")
        self.chord(self.Keys.SHIFT, self.Keys.ENTER)
        self.wait(lambda: (lambda p: re.fullmatch(r"\[\d+\]:", p) and p != before)(self.prompt(index)),
                  f"cell {index} to run (its prompt was {before!r})", timeout)
        self.show(self.cell(index))


def _code_cell(nb, *needles):
    """The index of the notebook's first code cell whose source holds every needle."""
    found = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code" and all(n in c.source for n in needles)),
                 None)
    assert found is not None, f"no code cell of {NOTEBOOK} holds {needles}"
    return found


def test_student_workflow_in_jupyterlab(lab, browser, artefacts, request):
    started = time.monotonic()
    page = Page(browser, artefacts)
    nb = nbformat.read(lab.copy / NOTEBOOK, as_version=4)
    setup, imports = _code_cell(nb, "%autoreload 2"), _code_cell(nb, "from assignment import conv")
    checks = _code_cell(nb, "conv.conv_output_size(", "check_close")
    graded = sum(1 for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
    source = lab.copy / "assignment" / "conv.py"
    original = source.read_text()
    stub = re.search(r"def conv_output_size\(.*?\n( +)(raise NotImplementedError\(.*?\))\n", original, re.S)
    assert stub, "conv_output_size in the release's conv.py has no `raise NotImplementedError(...)` line"
    indent, stub_line = stub.group(1), stub.group(2)

    # a. `make lab` (as root: with --allow-root, and a line that says so) opens notebook 01 in the course folder
    lab.start()
    opened, address = lab.wait_for_browser()
    assert urlparse(address).path.endswith("/lab/tree/" + NOTEBOOK), f"`make lab` opens {address}, not notebook 01"
    log = lab.log()
    assert f"Serving notebooks from local directory: {lab.copy}" in log, log[-3000:]
    if os.geteuid() == 0:
        assert "--allow-root" in log and "Running as root" in log, log[:2000]
    browser.get(opened)
    page.wait(lambda: len(page.css(".jp-Cell", page.notebook())) > checks, "notebook 01 to open", SLOW)
    assert page.text(page.first(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current")).strip() == "01_conv_layer.ipynb"
    # The file browser follows the notebook into notebooks/; the lab's root, the course folder, is one click away
    # (the folder icon that starts the path above the listing) and shows assignment/ beside notebooks/.
    page.wait(lambda: "01_conv_layer.ipynb" in page.listing(), "the file browser in notebooks/")
    page.shot("lab-opens-notebook-01")
    page.wait(lambda: page.first(".jp-FileBrowser .jp-BreadCrumbs-home"), "the file browser's root").click()
    page.wait(lambda: {"assignment", "notebooks"} <= set(page.listing()),
              "assignment/ and notebooks/ in the file browser's root")
    page.shot("assignment-one-click-away")

    # b. the first cells run in a real kernel; the public checks of section 1 stop at the stub
    page.run(setup)
    assert "Ready." in page.output(setup) and not page.errors(setup), page.output(setup)
    page.run(imports)
    assert not page.errors(imports), page.errors(imports)
    page.run(checks)
    before = page.errors(checks)
    assert "NotImplementedError" in before and "conv_output_size is not written yet" in before, before
    page.shot("first-cells-run-stub-raises")

    # c. conv.py opens in JupyterLab's editor; the stub's statement is selected (Edit > Go to Line, Home, then
    # Shift+click past the end of the line, wrapped on screen or not) and an implementation typed over it; saved
    page.open_listed("assignment")
    page.wait(lambda: "conv.py" in page.listing(), "conv.py in assignment/")
    page.open_listed("conv.py")
    page.wait(lambda: page.first(".jp-FileEditor .cm-content"), "conv.py in the editor").click()
    page.menu("Edit", "Go to Line")
    field = page.wait(lambda: page.first(".jp-FileEditor input[name=line]"), "the Go to Line field")
    field.clear()
    field.send_keys(str(original[:stub.start(2)].count("\n") + 1), page.Keys.ENTER)
    line = page.wait(lambda: next((e for e in page.css(".jp-FileEditor .cm-line")
                                   if page.text(e) == indent + stub_line), None), "the stub's line on screen")
    page.keys(page.Keys.HOME)  # to the end of the indentation
    page.shift_click(line, line.size["width"] - 2, line.size["height"] - 4)
    page.wait(lambda: browser.execute_script("return window.getSelection().toString()") == stub_line,
              "the stub's statement selected")
    page.keys(TYPED)
    page.shot("conv-py-edited")
    page.chord(page.Keys.CONTROL, "s")
    expected = original.replace(f"{indent}{stub_line}\n", f"{indent}{TYPED}\n", 1)
    page.wait(lambda: source.read_text() == expected, "conv.py saved with the stub's line replaced, and only that")
    page.wait(lambda: "jp-mod-dirty" not in next(t for t in page.css(".lm-DockPanel-tabBar .lm-TabBar-tab")
                                                 if page.text(t).strip() == "conv.py").get_attribute("class"),
              "conv.py's tab marked saved")
    page.shot("conv-py-saved")

    # d. back in the notebook, the same checks use the new code (autoreload): the sizes pass, the next check runs
    page.tab("01_conv_layer.ipynb")
    page.run(checks)
    out, errors = page.output(checks), page.errors(checks)
    passed = re.findall(r"conv_output_size\([^)]*\) OK", out)
    assert len(passed) >= 3, f"the checks of conv_output_size did not pass after the edit:\n{out}\n{errors}"
    assert "conv_output_size is not written yet" not in errors, errors
    page.shot("edit-picked-up")

    # e. nbgrader's Validate button, in the notebook's toolbar, reports the graded cells that fail (all of them:
    # the questions are not answered yet)
    button = page.wait(lambda: page.first(".validate-button", page.notebook()),
                       "nbgrader's Validate button in the notebook's toolbar")
    assert page.text(button).strip() == "Validate", page.text(button)
    (page.css("button, jp-button", button) or [button])[0].click()
    message = page.wait(lambda: page.first(".jp-Dialog #validation-message"), "the validation's result", SLOW)
    text = page.text(message)
    failed = text.count("The following cell failed")
    page.shot("validate-reports-failures")
    assert failed == graded, f"Validate reported {failed} failing cells, the notebook has {graded} graded:\n{text}"

    # f. the server stops on a shutdown request, and its kernel with it (the fixtures check that nothing is left)
    lab.stop()
    assert lab.process.returncode == 0, lab.log()[-3000:]
    _say(request, f"browser workflow done in {time.monotonic() - started:.0f} s; screenshots (at s): "
         + ", ".join(f"{name} ({at:.0f})" for name, at in page.shots))
