#!/usr/bin/env python3
"""retrieve_replay.py - replays memory retrieves over `ltmc serve`'s stdio and
prints each one's ranked result, to compare two builds (identical output means
identical rankings) and to profile a retrieve under callgrind.

  retrieve_replay.py build LTMC DATA_DIR [PER_PROJECT]
      imports a corpus like bench_http's into DATA_DIR: 4 projects (bench0..3)
      of PER_PROJECT (default 564) memories of 14 words drawn from its
      30-word vocabulary (so every query word is in most memories).
  retrieve_replay.py queries N OUT [SEED]
      writes N bench_http-like retrieve requests (3 of the 30 words, top_k 5,
      a project each) to OUT.
  retrieve_replay.py run LTMC DATA_DIR REQUESTS [VALGRIND_ARGS...]
      replays REQUESTS (one JSON-RPC request a line, e.g. from the above or
      from bench_memory's BENCH_MEMORY_REQUESTS) and prints, per request, the
      documents' doc_id, score, similarity_score and lexical_score (in rank order). With VALGRIND_ARGS
      (e.g. --tool=callgrind --toggle-collect=memory_search) the server runs
      under valgrind.
  RR_LTMC_NAME=value in the environment gives the server LTMC_NAME=value
  (its own LTMC_* variables are not passed on).
"""
import json
import os
import random
import subprocess
import sys

WORDS = ["sqlite", "wal", "vector", "index", "memory", "thread", "worker", "session", "token", "latency", "cache",
         "query", "embedding", "chunk", "project", "todo", "graph", "transport", "protocol", "server", "client",
         "request", "response", "deadline", "shutdown", "signal", "pool", "connection", "benchmark", "decision"]
PROJECTS = 4

INIT = [{"jsonrpc": "2.0", "id": 0, "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                    "clientInfo": {"name": "retrieve_replay", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"}]


def env_for(data_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTMC_") and k != "XDG_CONFIG_HOME"}
    env["LTMC_DATA_DIR"] = data_dir
    env["XDG_CONFIG_HOME"] = os.path.join(data_dir, "config")
    env["LTMC_LOG_LEVEL"] = "error"
    for k, v in os.environ.items():  # RR_LTMC_X=v sets LTMC_X=v for the server, for experiments
        if k.startswith("RR_LTMC_"):
            env[k[3:]] = v
    return env


def serve(ltmc, data_dir, lines, prefix=()):
    text = "".join(json.dumps(m) + "\n" for m in INIT) + "".join(lines)
    p = subprocess.run(list(prefix) + [ltmc, "serve"], input=text.encode(), stdout=subprocess.PIPE,
                       env=env_for(data_dir), check=True)
    return [json.loads(l) for l in p.stdout.decode().splitlines() if l.strip()]


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def build(ltmc, data_dir, per_project):
    os.makedirs(data_dir, exist_ok=True)
    rng = random.Random(99)
    lines, rid = [], 1
    for p in range(PROJECTS):
        project = "bench%d" % p
        for start in range(0, per_project, 250):
            docs = [{"file_name": "preload-%d.md" % i, "content": "%s (preload %s %d)" % (sentence(rng, 14), project, i)}
                    for i in range(start, min(per_project, start + 250))]
            args = {"action": "bulk_store", "project": project, "documents": docs}
            lines.append(json.dumps({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                                     "params": {"name": "memory_action", "arguments": args}}) + "\n")
            rid += 1
    for r in serve(ltmc, data_dir, lines):
        if "error" in r or r.get("result", {}).get("isError"):
            sys.exit("build failed: %s" % json.dumps(r)[:300])


def queries(n, out, seed):
    rng = random.Random(seed)
    with open(out, "w") as f:
        for i in range(n):
            args = {"action": "retrieve", "project": "bench%d" % (i % PROJECTS), "query": sentence(rng, 3), "top_k": 5}
            f.write(json.dumps({"jsonrpc": "2.0", "id": 1000 + i, "method": "tools/call",
                                "params": {"name": "memory_action", "arguments": args}}) + "\n")


def run(ltmc, data_dir, requests, vg):
    with open(requests) as f:
        lines = [l if l.endswith("\n") else l + "\n" for l in f if l.strip()]
    prefix = ["valgrind"] + vg if vg else []
    for r in serve(ltmc, data_dir, lines, prefix):
        if r.get("id") == 0:
            continue
        sc = r.get("result", {}).get("structuredContent", {})
        docs = sc.get("documents")
        if docs is None:
            print(r.get("id"), "ERROR", json.dumps(r)[:300])
            continue
        print(r["id"], " ".join("%s:%s:%s:%s" % (d.get("doc_id"), d.get("score"), d.get("similarity_score"), d.get("lexical_score"))
                                for d in docs))


def main(a):
    if len(a) >= 3 and a[0] == "build":
        build(a[1], a[2], int(a[3]) if len(a) > 3 else 564)
    elif len(a) >= 3 and a[0] == "queries":
        queries(int(a[1]), a[2], int(a[3]) if len(a) > 3 else 7)
    elif len(a) >= 4 and a[0] == "run":
        run(a[1], a[2], a[3], a[4:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
