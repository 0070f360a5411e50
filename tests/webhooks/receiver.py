"""A webhook receiver on 127.0.0.1 for tests: records every request, answers as told."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival


@dataclass
class Receiver:
    url: str
    # Statuses for the first requests, in order; 200 once they are used up.
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    # What a failing answer's body says (a hostile receiver may send anything).
    failure_body: bytes = b"try again later"
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Set at each request.
    arrived: threading.Event = field(default_factory=threading.Event)

    def ids(self) -> list[str]:
        with self.lock:
            return [r.headers["webhook-id"] for r in self.requests]


@contextmanager
def receiver(
    statuses: list[int] | None = None, delay: float = 0.0, failure_body: bytes | None = None
) -> Iterator[Receiver]:
    state = Receiver(url="", statuses=list(statuses or []), delay=delay)
    if failure_body is not None:
        state.failure_body = failure_body

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if state.delay:
                time.sleep(state.delay)
            with state.lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.requests.append(Received(headers, body, time.monotonic()))
                status = state.statuses.pop(0) if state.statuses else 200
            state.arrived.set()
            try:
                self.send_response(status)
                self.send_header("content-type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 300 else state.failure_body)
            except BrokenPipeError:
                pass  # the sender was killed mid-request (tests/reliability/test_webhook_crash.py)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/rectrack"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
