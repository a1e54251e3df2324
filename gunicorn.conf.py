"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py` (see README, "Run in production").

Every value can be changed through an environment variable, so one file serves a laptop, CI and a server.
"""

import multiprocessing
import os

wsgi_app = "conflictapi.wsgi:application"

# Behind a reverse proxy, bind to loopback (or a unix socket) and let the proxy face the network.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Sync workers suit a CPU-bound Django app with short queries; threads let slow clients overlap I/O waits.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes longer than this is stuck: kill the worker rather than queue everyone behind it.
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
