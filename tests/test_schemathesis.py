"""schemathesis against the app's own OpenAPI schema, on the real production stack (gunicorn, DEBUG off).

Every operation in /api/schema/ is exercised with positive and negative data (examples, coverage and fuzzing
phases); writes run as a superuser with a token when the schema has write operations. The run must find no server
error and no response that breaks the schema (status code, content type, headers, body). Findings are fixed in the
app, never by loosening the schema.

SCHEMATHESIS_MAX_EXAMPLES (default 60) sets the examples per operation.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

try:
    from livegunicorn import Gunicorn, fetch, manage, prepare, production_env, scratch_database
except ImportError:  # tests/ imported as a package
    from tests.livegunicorn import Gunicorn, fetch, manage, prepare, production_env, scratch_database

ST = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
TOOL_CRASH = "AST constructor recursion depth mismatch"
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "60"))
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]

pytestmark = pytest.mark.skipif(ST is None, reason="schemathesis is not installed (requirements-dev.txt)")


def superuser_token(env: dict[str, str]) -> str | None:
    """A token for a fresh superuser when the project issues tokens (write API), else None."""
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        "User.objects.create_superuser('schemathesis', password='not-used-for-login-0192')",
    )
    commands = manage(env, "help", "--commands").stdout.split()
    for command in ("issue_token", "create_token", "drf_create_token"):
        if command in commands:
            output = manage(env, command, "schemathesis").stdout
            match = re.search(r"\b([0-9a-f]{40})\b", output)
            if match:
                return match.group(1)
    return None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    static_root = str(tmp_path_factory.mktemp("static"))
    with scratch_database(prefix="conflictapi_st") as database_url:
        env = production_env(
            database_url,
            static_root,
            THROTTLE_ANON_RATE="100000000/minute",
            THROTTLE_USER_RATE="100000000/minute",
        )
        prepare(env, collectstatic=False)
        token = superuser_token(env)
        with Gunicorn(env) as gunicorn:
            gunicorn.token = token
            yield gunicorn


def test_schema_operations_hold_under_generated_input(server, tmp_path):
    status, _, body = fetch(server.url + "/api/schema/?format=json", {"X-Forwarded-Proto": "https"})
    assert status == 200
    schema = json.loads(body)
    operations = sum(
        1 for item in schema["paths"].values() for method in item if method in {"get", "post", "put", "patch", "delete"}
    )
    schema_file = tmp_path / "schema.json"
    schema_file.write_text(json.dumps(schema))
    command = [
        ST,
        "run",
        str(schema_file),
        "--url",
        server.url,
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--mode",
        "all",
        "--seed",
        "20230501",
        # One worker: CPython 3.11's parser is not thread-safe when Hypothesis reads a filter lambda's source from
        # several workers at once (the SystemError TOOL_CRASH below). With 4 workers on two cores it crashed on both
        # attempts of a run on 2026-11-30; one worker ran the same seed in 121 s against 100 s.
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(tmp_path / "junit.xml"),
        "-H",
        "X-Forwarded-Proto: https",
    ]
    if server.token:
        command += ["-H", f"Authorization: Token {server.token}"]
    # cwd: schemathesis keeps a crash cache in .schemathesis/ under it; keep that out of the repository.
    for attempt in range(2):
        result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=1500)
        output = result.stdout + result.stderr
        summary = output[output.rfind("SUMMARY") :] if "SUMMARY" in output else output[-3000:]
        print(summary)
        # Should the parser crash all the same (schemathesis then stops a phase with that SystemError before sending
        # anything), that is the tool failing, not a finding about the API: run once more (the same seed), and only
        # then judge.
        if not (result.returncode != 0 and TOOL_CRASH in output and "Failures:" not in output):
            break
    assert result.returncode == 0, output[-20000:]
    assert re.search(rf"Selected: {operations}/{operations}\s+Tested: {operations}\b", output), summary
    generated = re.search(r"Test cases:\s+(\d+) generated", output)
    assert generated and int(generated.group(1)) >= operations * 10, summary
