"""Settings for benchmark runs: the project's settings plus the bare comparison views, kept out of the app's URLs.

The response cache is off unless API_RESPONSE_CACHE says otherwise (bench.cache measures it on and off). The
throttle stays on (its per-request cost is part of the API's cost) but its window is one second and its rate far
above what the benchmark sends, so one client issuing thousands of requests measures speed, not the 429 path.
"""

import os

os.environ.setdefault("THROTTLE_ANON_RATE", "1000000/second")
os.environ.setdefault("THROTTLE_USER_RATE", "1000000/second")
# A benchmark repeats each question, so with the response cache on it would time the cache from the second request
# on. The scenarios, the random questions and the probe measure the database path (cold); bench.cache turns the
# cache on itself for its warm figures, reported apart.
os.environ.setdefault("API_RESPONSE_CACHE", "0")

from conflictapi.settings import *  # noqa: E402,F401,F403

ROOT_URLCONF = "bench.urls"
