"""A small HTTP load client: one-client latency percentiles and fixed-concurrency throughput, loopback only.

Plain http.client over kept-alive connections, one thread per simulated client: the client shares the two cores
with the servers it measures, so it does as little as possible per request (read the body, check the status).
"""

import http.client
import statistics
import threading
import time


class Client:
    """One kept-alive connection that reconnects when the server closes it."""

    def __init__(self, port: int, timeout: float = 120):
        self.port, self.timeout, self.conn = port, timeout, None

    def get(self, path: str) -> tuple[int, int]:
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request("GET", path, headers={"Accept-Encoding": "identity"})
                response = self.conn.getresponse()
                body = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return response.status, len(body)
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    index = q * (len(ordered) - 1)
    low = int(index)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def latency(port: int, path: str, *, requests: int, warmup: int = 2, max_seconds: float = 60) -> dict:
    """p50/p95/p99 in milliseconds for `requests` sequential GETs (fewer if `max_seconds` runs out)."""
    client = Client(port)
    try:
        for _ in range(warmup):
            status, _ = client.get(path)
        times, statuses, nbytes = [], {}, 0
        deadline = time.monotonic() + max_seconds
        for _ in range(requests):
            start = time.perf_counter()
            status, size = client.get(path)
            times.append((time.perf_counter() - start) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            nbytes = size
            if time.monotonic() > deadline:
                break
    finally:
        client.close()
    return {
        "n": len(times),
        "p50_ms": round(percentile(times, 0.5), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "statuses": {str(k): v for k, v in statuses.items()},
        "bytes": nbytes,
    }


def throughput(port: int, path: str, *, concurrency: int, seconds: float, max_requests: int) -> dict:
    """Requests per second with `concurrency` clients for at most `seconds` or `max_requests` requests."""
    lock = threading.Lock()
    state = {"done": 0, "errors": 0, "issued": 0}
    times: list[float] = []
    deadline = time.monotonic() + seconds

    def worker():
        client = Client(port)
        try:
            while True:
                with lock:
                    if state["issued"] >= max_requests or time.monotonic() >= deadline:
                        return
                    state["issued"] += 1
                start = time.perf_counter()
                try:
                    status, _ = client.get(path)
                    ok = status == 200
                except OSError:
                    ok = False
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    state["done" if ok else "errors"] += 1
                    times.append(elapsed)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    return {
        "concurrency": concurrency,
        "requests": state["done"],
        "errors": state["errors"],
        "seconds": round(wall, 2),
        "rps": round(state["done"] / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(times, 0.5), 1) if times else None,
    }
