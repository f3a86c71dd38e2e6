"""Fixtures for the hidden suites: the sandboxed student, a seeded generator, and the points marker.

The grader passes the submission and the run's settings through environment variables (see grader.run)."""
import os
import zlib

import numpy as np
import pytest

from grader.parts import PARTS, forbidden_dirs
from grader.sandbox import Sandbox


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): how many points the test is worth")


@pytest.fixture(scope="session")
def student(request):
    part = PARTS[os.environ["GRADER_PART"]]
    box = Sandbox(os.environ["GRADER_SUBMISSION"], [part.name], level=os.environ.get("GRADER_ISOLATION") or None,
                  timeout=float(os.environ.get("GRADER_TIMEOUT", "60")), hidden=forbidden_dirs(part),
                  probe=not part.numpy_only)
    request.addfinalizer(box.stop)
    return box


@pytest.fixture
def rng(request):
    """A generator seeded by the run's seed and the test's name: reproducible, different per test."""
    seed = int(os.environ.get("GRADER_SEED", "0"))
    return np.random.default_rng([seed, zlib.crc32(request.node.name.encode())])
