"""The migrations describe the models exactly: no model change is waiting for a migration."""

from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_makemigrations_check_reports_no_changes():
    out = StringIO()
    # --check exits non-zero (SystemExit) when a migration is missing, which fails this test with the diff in `out`.
    call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()
