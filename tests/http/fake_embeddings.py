#!/usr/bin/python3
"""A fake OpenAI-compatible embeddings server for ltmc's http backend tests.

Standard library only. Listens on 127.0.0.1 (port 0 = any free port), prints
"PORT <n>" on stdout once it accepts connections, and exits when its stdin
reaches end of file (so it dies with the test that started it) or on SIGTERM.

  POST /v1/embeddings   {"model": M, "input": T or [T, ...]}
  GET  /requests        every embeddings request so far, as a JSON list
  POST /reset           forget the requests and every per-model counter

Vectors are deterministic and deliberately not normalised: with h the 32-bit
FNV-1a hash of the input's UTF-8 bytes and D the dimension (16), for k in
0, 1, 2 the value (k + 1) times sign is added at index (h >> 5k) mod D, where
sign is +1 when bit 16 + k of h is set, else -1. The unit test computes the
same vector to check the client's parsing and normalisation.

The model name chooses a behaviour. With the suffix "-after-first" the first
request for that model name is answered normally (so the client's probe at
open succeeds) and the behaviour applies from the second on.

  fail-500          500 with an OpenAI-style error object
  status-401        401 with an OpenAI-style error object
  status-404-ollama 404 with Ollama's {"error": "..."} shape
  status-400-text   400 with a plain-text body
  status-400-long   400 with a long message of two-byte characters after "x"
  bad-json          200 with a body that is not JSON
  no-data           200 without a "data" array
  empty-data        200 with "data": []
  empty-embedding   200 with an empty embedding
  non-numeric       200 with a string inside the embedding
  base64            200 with the embedding as a base64 string
  wrong-dim         200 with 12 dimensions instead of 16
  slow              waits --slow seconds before answering
  redirect          301 to an https:// URL, with an empty body
  flaky             503 the first time each input is seen, then normal
  rate-limit-once   429 the first time each input is seen, then normal
  reset-once        resets the connection the first time each input is seen
  needs-key         401 unless an Authorization header is sent
  anything else     normal answers

With --api-key K, a request carrying an Authorization header other than
"Bearer K" gets a 401 whose message quotes the key it was sent (as some
servers do), so the client's redaction can be tested.
"""

import argparse
import json
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DIM = 16
WRONG_DIM = 12


def fnv1a32(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def vector(text, dim):
    h = fnv1a32(text.encode("utf-8"))
    v = [0.0] * dim
    for k in range(3):
        sign = 1.0 if (h >> (16 + k)) & 1 else -1.0
        v[(h >> (5 * k)) % dim] += (k + 1) * sign
    return v


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.model_seen = {}  # model name -> requests so far
        self.input_seen = set()  # (model, input) pairs already answered once

    def reset(self):
        with self.lock:
            self.requests.clear()
            self.model_seen.clear()
            self.input_seen.clear()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse shows
    server_version = "fake-embeddings/1"

    def log_message(self, fmt, *args):  # quiet: the test output is ours
        pass

    def send(self, status, body, ctype="application/json"):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path == "/requests":
            with self.server.state.lock:
                self.send(200, list(self.server.state.requests))
        else:
            self.send(404, {"error": {"message": "no such path: " + self.path}})

    def do_POST(self):
        raw = self.read_body()
        state = self.server.state
        if self.path == "/reset":
            state.reset()
            self.send(200, {"ok": True})
            return
        # The query is kept in the record but does not select the endpoint.
        if urllib.parse.urlsplit(self.path).path != "/v1/embeddings":
            self.send(404, {"error": {"message": "no such path: " + self.path}})
            return
        try:
            req = json.loads(raw)
            model = req["model"]
            inputs = req["input"]
        except (ValueError, KeyError, TypeError):
            self.send(400, {"error": {"message": "bad request body"}})
            return
        single = isinstance(inputs, str)
        texts = [inputs] if single else list(inputs)
        auth = self.headers.get("Authorization")

        behaviour = model
        with state.lock:
            seen = state.model_seen.get(model, 0)
            state.model_seen[model] = seen + 1
            first_time = [(model, t) not in state.input_seen for t in texts]
            state.input_seen.update((model, t) for t in texts)
            state.requests.append(
                {
                    "path": self.path,
                    "model": model,
                    "input": inputs,
                    "authorization": auth,
                    "client_port": self.client_address[1],
                }
            )
        if behaviour.endswith("-after-first"):
            behaviour = behaviour[: -len("-after-first")] if seen > 0 else "normal"

        key = self.server.api_key
        if auth is not None and key is not None and auth != "Bearer " + key:
            given = auth[len("Bearer "):] if auth.startswith("Bearer ") else auth
            self.send(401, {"error": {"message": "Incorrect API key provided: " + given, "type": "invalid_request_error"}})
            return
        if behaviour == "needs-key" and auth is None:
            self.send(401, {"error": {"message": "missing API key"}})
            return

        dim = DIM
        if behaviour == "fail-500":
            self.send(500, {"error": {"message": "model crashed", "type": "server_error"}})
            return
        if behaviour == "status-401":
            self.send(401, {"error": {"message": "You didn't provide an API key.", "type": "invalid_request_error"}})
            return
        if behaviour == "status-404-ollama":
            self.send(404, {"error": 'model "%s" not found, try pulling it first' % model})
            return
        if behaviour == "status-400-text":
            self.send(400, "input\ttoo long\nfor this model", "text/plain")
            return
        if behaviour == "redirect":
            self.send_response(301)
            self.send_header("Location", "https://example.invalid/v1/embeddings")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if behaviour == "status-400-long":
            self.send(400, {"error": {"message": "x" + "\u00e9" * 200}})
            return
        if behaviour == "bad-json":
            self.send(200, '{"data": [{"embedding": [0.1, 0.2,')
            return
        if behaviour == "no-data":
            self.send(200, {"object": "list", "model": model})
            return
        if behaviour == "empty-data":
            self.send(200, {"object": "list", "data": [], "model": model})
            return
        if behaviour == "slow":
            time.sleep(self.server.slow)
        if behaviour == "flaky" and any(first_time):
            self.send(503, {"error": {"message": "loading model, try again"}})
            return
        if behaviour == "rate-limit-once" and any(first_time):
            self.send(429, {"error": {"message": "Rate limit reached", "type": "requests"}})
            return
        if behaviour == "reset-once" and any(first_time):
            # SO_LINGER 0 makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if behaviour == "wrong-dim":
            dim = WRONG_DIM

        data = []
        for i, t in enumerate(texts):
            emb = vector(t, dim)
            if behaviour == "empty-embedding":
                emb = []
            elif behaviour == "non-numeric":
                emb[3] = "0.5"
            elif behaviour == "base64":
                emb = "AAAAAAAAgD8="
            data.append({"object": "embedding", "embedding": emb, "index": i})
        try:
            self.send(200, {"object": "list", "data": data, "model": model + ":served",
                            "usage": {"prompt_tokens": 1, "total_tokens": 1}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Broken connections are part of the tests; anything else is a bug.
        exc = sys.exc_info()[1]
        if not isinstance(exc, (OSError, ValueError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--api-key", default=None)
    ap.add_argument("--slow", type=float, default=2.0, help="seconds the 'slow' behaviour waits")
    args = ap.parse_args()

    srv = Server(("127.0.0.1", args.port), Handler)
    srv.state = State()
    srv.api_key = args.api_key
    srv.slow = args.slow

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    sys.stdout.write("PORT %d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
