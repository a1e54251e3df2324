"""Settings for benchmark runs: the project's settings plus the bare comparison views, kept out of the app's URLs.

The throttle stays on (its per-request cost is part of the API's cost) but its window is one second and its rate far
above what the benchmark sends, so one client issuing thousands of requests measures speed, not the 429 path.
"""

import os

os.environ.setdefault("THROTTLE_ANON_RATE", "1000000/second")
os.environ.setdefault("THROTTLE_USER_RATE", "1000000/second")

from conflictapi.settings import *  # noqa: E402,F401,F403

ROOT_URLCONF = "bench.urls"
