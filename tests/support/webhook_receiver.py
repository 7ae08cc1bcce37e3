"""A real HTTP webhook receiver for tests: verifies every request with the reference
`standardwebhooks` library, answers 503 on purpose to its first requests, and counts what it
accepted per webhook-id."""

import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


class Receiver:
    def __init__(self) -> None:
        self.secret: str | None = None
        self.refuse_left = 0
        self.accepted: Counter[str] = Counter()
        self.bodies: dict[str, dict[str, Any]] = {}
        self.refused = 0
        self.bad_signatures = 0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                status = receiver.receive(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            if path == "/always-fails":
                return 500
            if self.refuse_left > 0:
                self.refuse_left -= 1
                self.refused += 1
                return 503
            try:
                Webhook(self.secret or "").verify(body, lowered)
            except WebhookVerificationError:
                self.bad_signatures += 1
                return 400
            msg_id = lowered["webhook-id"]
            self.accepted[msg_id] += 1
            self.bodies[msg_id] = json.loads(body)
            return 204

    def arm(self, secret: str, *, refuse_first: int) -> None:
        """Verify with this secret from now on, after refusing the next `refuse_first`."""
        self.secret = secret
        self.refuse_left = refuse_first

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
