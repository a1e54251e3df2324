"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py` (see README, "Run in production").

Every value can be changed through an environment variable, so one file serves a laptop, CI and a server.
"""

import multiprocessing
import os
import sys
import threading
import time
import traceback

wsgi_app = "conflictapi.wsgi:application"

# Behind a reverse proxy, bind to loopback (or a unix socket) and let the proxy face the network.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Sync workers suit a CPU-bound Django app with short queries; threads let slow clients overlap I/O waits.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes longer than this is stuck: kill the worker rather than queue everyone behind it.
# gunicorn's timeout is a heartbeat: the master kills a worker whose heartbeat is older than `timeout` (SIGABRT, then
# SIGKILL a second later if it has not exited) and starts a new one. A sync worker beats between requests, so a stuck
# request stops its beat; a gthread worker beats from its main loop while requests run in pool threads, so a request
# stuck on a database that never answers would hold its thread for good and the worker would never time out. Sync
# workers would restore the timeout but serve one request at a time without keep-alive, so the threads stay and
# the hooks below make the beat honest instead: every worker notes when each of its requests began, and the beat it
# reports is never newer than the start of the oldest request still running. A request that runs `timeout` seconds
# gets its worker killed just as under a sync worker (the other requests that worker is serving die with it), while
# busy workers whose requests merely overlap keep beating. The database timeouts in conflictapi/settings.py answer
# 503 long before this; it ends what they cannot (a server that hangs mid-query, or anything else that hangs).
# Request bodies count as part of the request: keep the proxy buffering them (nginx does by default), so that a
# client trickling a body cannot get a worker killed.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Recycle workers now and then so that a slow leak never grows into an outage.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))

# Logs go to stdout/stderr for the process manager to collect; an empty GUNICORN_ACCESSLOG turns access logs off.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

# Only the proxy on these addresses may set X-Forwarded-* headers that gunicorn honours.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Refuse absurd request lines and headers before Django sees them.
limit_request_line = 8190
limit_request_fields = 100


# Server hooks: the honest heartbeat described at `timeout` ---------------------------------------------------------


def post_worker_init(worker):
    # Import every view and the database driver now, not in the worker's first request: that request would pay
    # half a second or more for it (enough to push a /readyz past its 2 s). Nothing connects to the database here.
    try:
        from django.db import connections
        from django.urls import get_resolver

        len(get_resolver().url_patterns)
        for alias in connections:
            connections[alias]
    except Exception:  # a warm-up only: the first request reports any real error
        worker.log.exception("Could not load the URLconf or database backend ahead of the first request")

    worker.requests_running = {}  # id(req) -> (time.monotonic() at start, "METHOD /path", thread id)
    worker.requests_lock = threading.Lock()
    beat = worker.notify

    def notify():
        beat()  # the heartbeat file now says "now", on whatever clock gunicorn uses
        with worker.requests_lock:
            oldest = min((start for start, _, _ in worker.requests_running.values()), default=None)
        if oldest is not None:
            stamp = worker.tmp.last_update() - (time.monotonic() - oldest)
            os.utime(worker.tmp.fileno(), (stamp, stamp))

    worker.notify = notify


def pre_request(worker, req):
    worker.log.debug("%s %s", req.method, req.path)  # what gunicorn's own pre_request does
    if hasattr(worker, "requests_running"):
        with worker.requests_lock:
            worker.requests_running[id(req)] = (time.monotonic(), f"{req.method} {req.path}", threading.get_ident())


def post_request(worker, req, environ, resp):
    # gunicorn calls this in a `finally`, whatever became of the request.
    if hasattr(worker, "requests_running"):
        with worker.requests_lock:
            worker.requests_running.pop(id(req), None)


def worker_abort(worker):
    """The master timed this worker out: log which requests were stuck, and where, before it dies."""
    now = time.monotonic()
    # No lock: this runs in a signal handler, possibly while the main thread holds it; copying is atomic anyway.
    running = sorted(getattr(worker, "requests_running", {}).values())
    frames = sys._current_frames()
    for start, request, ident in running:
        stack = "".join(traceback.format_stack(frames[ident])) if ident in frames else ""
        worker.log.critical(
            "Request running for %.1f s, ended by the worker timeout: %s\n%s", now - start, request, stack
        )
