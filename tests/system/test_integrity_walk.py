"""A randomized integrity walk through the API, the admin, history reverts and fixture reloads
(tests/integrity_walk.py): every rule must hold at the end and a mirror replaying the changes feed must equal the
database.

The default walk (fixed seed, 500 operations) runs in well under two minutes per database. Longer or other walks:

    WALK_OPS=5000 WALK_SEED=7 .venv/bin/python -m pytest tests/system/test_integrity_walk.py -s
    # mirror diffs pinned to one operation
    WALK_SYNC_EVERY=1 .venv/bin/python -m pytest tests/system/test_integrity_walk.py -s
    # every violation, as JSON
    WALK_REPORT=/tmp/walk.json .venv/bin/python -m pytest tests/system/test_integrity_walk.py
    # on PostgreSQL: any of these with DATABASE_URL=postgres://postgres@127.0.0.1:5432/conflictapi in front

`-s` shows the report: operations run by kind and status, each rule with PASS/FAIL and its first violations (each
naming the operation and request that introduced it), and the mirror's replay statistics.
"""

import json
import os

import pytest

from tests.integrity_walk import CHECK_ORDER, Walk, format_report

pytestmark = pytest.mark.django_db

OPERATIONS = int(os.environ.get("WALK_OPS", "500"))
SEED = int(os.environ.get("WALK_SEED", "1"))
SYNC_EVERY = int(os.environ.get("WALK_SYNC_EVERY", "25"))


def test_randomized_walk_loses_nothing_and_keeps_every_rule():
    assert OPERATIONS >= 1 and SYNC_EVERY >= 1
    report = Walk(seed=SEED, operations=OPERATIONS, sync_every=SYNC_EVERY).run()
    print()
    print(format_report(report))
    if os.environ.get("WALK_REPORT"):
        # Every violation in full, for analysis: WALK_REPORT=/tmp/walk.json
        with open(os.environ["WALK_REPORT"], "w", encoding="utf-8") as out:
            json.dump(
                {
                    "op_counts": report.op_counts,
                    "status_counts": report.status_counts,
                    "checks": report.checks,
                    "diagnostics": report.diagnostics,
                },
                out,
                ensure_ascii=False,
                indent=1,
                default=str,
            )
    assert sum(report.op_counts.values()) == OPERATIONS
    assert set(report.checks) == set(CHECK_ORDER)
    failing = report.failing_checks()
    assert not failing, (
        f"integrity walk (seed {SEED}, {OPERATIONS} operations): rules violated: "
        + ", ".join(f"{name} ({n})" for name, n in failing.items())
        + ". Run with -s for every violation and the request that introduced it."
    )
