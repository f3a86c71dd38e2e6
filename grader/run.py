"""Run one part's hidden suite on submissions and print, as JSON, a list of test records per submission.

Started as a child process by grader.grade (`python -m grader.run PART SUBMISSION [SUBMISSION ...]`); a class
is graded one submission per process, so that a crash costs only that submission's part. Each submission
gets a pytest session and a sandbox of its own."""
import json
import os
import sys
from pathlib import Path

import pytest

from grader.sandbox import SandboxFailure, StudentError
from grader.worker import die_with_parent

SUITES = Path(__file__).resolve().parent / "suites"


class Recorder:
    """A pytest plugin that keeps, per test, its points and a message fit to show the student."""

    def __init__(self):
        self.records = []

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if report.when == "call" or report.failed:
            marker = item.get_closest_marker("points")
            points = marker.args[0] if marker else 0
            failed = report.failed
            message = _message(call.excinfo) if failed and call.excinfo else ""
            doc = (item.function.__doc__ or "").strip().splitlines()
            title = doc[0] if doc else item.name
            record = {"name": item.name, "title": title, "max_score": points,
                      "score": 0 if failed else points, "output": message}
            if self.records and self.records[-1]["name"] == item.name:
                self.records[-1] = record  # teardown failed after the call: keep the failure
            else:
                self.records.append(record)


def _message(excinfo):
    exc = excinfo.value
    if isinstance(exc, StudentError):
        if exc.type_name == "NotImplementedError":
            return f"Not implemented yet: {exc.message}"
        return f"Your code raised {exc.type_name}: {exc.message}"
    if isinstance(exc, SandboxFailure):
        return str(exc)
    if isinstance(exc, (AssertionError, pytest.fail.Exception)):
        return str(exc).split("\nassert ")[0]
    return f"Could not check this ({type(exc).__name__}: {exc})"


def run_suite(part, submission):
    os.environ["GRADER_PART"] = part
    os.environ["GRADER_SUBMISSION"] = str(Path(submission).resolve())
    recorder = Recorder()
    args = [str(SUITES / f"test_{part}.py"), "-q", "-p", "no:cacheprovider", "--assert=plain",
            "--rootdir", str(SUITES), "-o", "addopts=", "-o", "filterwarnings=ignore", "-W", "ignore",
            "--no-header", "--tb=no"] + (["--maxfail=1"] if os.environ.get("GRADER_FIRST_LOSS") else [])
    stdout, sys.stdout = sys.stdout, open(os.devnull, "w")
    try:
        pytest.main(args, plugins=[recorder])
    finally:
        sys.stdout = stdout
    return recorder.records


class Collector:
    def __init__(self):
        self.records = []

    def pytest_collection_modifyitems(self, items):
        for item in items:
            marker = item.get_closest_marker("points")
            doc = (item.function.__doc__ or "").strip().splitlines()
            self.records.append((str(item.path), {"name": item.name, "title": doc[0] if doc else item.name,
                                                  "max_score": marker.args[0] if marker else 0, "score": 0,
                                                  "output": ""}))


def collect_suites(parts):
    """{part: its tests' records with zero scores}, all suites collected by one pytest run."""
    collector = Collector()
    stdout, sys.stdout = sys.stdout, open(os.devnull, "w")
    try:
        pytest.main([*(str(SUITES / f"test_{part}.py") for part in parts), "--collect-only", "-q", "-p",
                     "no:cacheprovider", "--rootdir", str(SUITES), "-o", "addopts="], plugins=[collector])
    finally:
        sys.stdout = stdout
    found = {part: [] for part in parts}
    for path, record in collector.records:
        found[Path(path).stem.removeprefix("test_")].append(record)
    return found


if __name__ == "__main__":
    die_with_parent()  # a grader that is killed takes its suite runs, and so their sandboxes, with it
    if sys.argv[1] == "--collect":
        json.dump(collect_suites(sys.argv[2:]), sys.stdout)
    else:
        json.dump([run_suite(sys.argv[1], submission) for submission in sys.argv[2:]], sys.stdout)
