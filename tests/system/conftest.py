"""System tests start servers, subprocesses, a browser or long runs: every one of them carries the `slow` marker,
so that `pytest -m "not slow"` runs the quick unit and API suites alone."""

import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/tests/system/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.slow)
