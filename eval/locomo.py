#!/usr/bin/env python3
"""Retrieval quality on the LoCoMo development split, through ltmc's real tool path.

    eval/locomo.py LTMC_BINARY DATA_DIR

Protocol (DATA_DIR/README.md): every turn of a conversation is stored as one
memory (its dia_id as file_name, "speaker: text" as content, the session's
date as created_at, one project per conversation); for each question of
categories 1-4 the top 10 memories are retrieved; recall@k is the share of
questions with at least one evidence dia_id among the first k, MRR the mean
reciprocal rank of the first evidence hit (0 when none is in the top 10).

ltmc runs as `ltmc serve` in a fresh data directory and is driven over stdio
with JSON-RPC, exactly as an MCP client would. A plain SQLite FTS5 BM25 index
over the same turns (porter tokenizer, question words OR-ed) runs beside it as
the baseline. Standard library only.
"""
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime

K = 10


class Server:
    def __init__(self, binary, data_dir):
        env = dict(os.environ)
        for k in list(env):
            if k.startswith("LTMC_"):
                del env[k]
        env.update(LTMC_DATA_DIR=data_dir, XDG_CONFIG_HOME=data_dir, LTMC_LOG_LEVEL="error")
        self.p = subprocess.Popen([binary, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.next_id = 0
        self.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                    "clientInfo": {"name": "locomo-eval", "version": "1"}})
        self.notify("notifications/initialized")

    def notify(self, method):
        self.p.stdin.write((json.dumps({"jsonrpc": "2.0", "method": method}) + "\n").encode())
        self.p.stdin.flush()

    def request(self, method, params):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.p.stdin.write((json.dumps(msg) + "\n").encode())
        self.p.stdin.flush()
        reply = json.loads(self.p.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def call(self, tool, args):
        result = self.request("tools/call", {"name": tool, "arguments": args})
        body = result["structuredContent"]
        if result.get("isError"):
            raise RuntimeError(f"{tool} {args.get('action')}: {body.get('error')}")
        return body

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def session_time(text):
    """'1:56 pm on 8 May, 2023' -> '2023-05-08T13:56:00Z'."""
    return datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y").strftime("%Y-%m-%dT%H:%M:00Z")


def turns_of(conv):
    sessions = sorted(int(k.split("_")[1]) for k in conv if re.fullmatch(r"session_\d+", k))
    for s in sessions:
        when = session_time(conv[f"session_{s}_date_time"])
        for t in conv[f"session_{s}"]:
            yield t["dia_id"], f"{t['speaker']}: {t['text']}", when


def questions_of(conv, ids):
    for q in conv["qa"]:
        if q.get("category") in (1, 2, 3, 4):
            evidence = {e for e in q.get("evidence", []) if e in ids}
            if evidence:
                yield q["question"], evidence, q["category"]


def score(ranked, evidence):
    first = next((i for i, d in enumerate(ranked[:K]) if d in evidence), None)
    return (first is not None and first < 5, first is not None and first < 10, 0 if first is None else 1 / (first + 1))


def bm25_baseline(turns, question):
    return turns.execute(
        "SELECT dia_id FROM t WHERE t MATCH ? ORDER BY rank LIMIT ?",
        (" OR ".join('"' + w + '"' for w in dict.fromkeys(re.findall(r"\w+", question.lower()))), K),
    ).fetchall()


def main():
    binary, data = sys.argv[1], sys.argv[2]
    files = sorted(f for f in os.listdir(data) if f.endswith(".json"))
    tmp = tempfile.mkdtemp(prefix="ltmc-eval-")
    server = Server(binary, tmp)
    totals = {"ltmc": [0, 0, 0.0], "bm25": [0, 0, 0.0]}
    per_cat = {}
    n_questions = 0
    store_ms, query_ms = [], []
    try:
        for f in files:
            conv = json.load(open(os.path.join(data, f)))
            project = "locomo-" + f[:-5]
            turns = list(turns_of(conv))
            ids = {d for d, _, _ in turns}
            base = sqlite3.connect(":memory:")
            base.execute("CREATE VIRTUAL TABLE t USING fts5(dia_id UNINDEXED, content, tokenize='porter')")
            for dia_id, content, when in turns:
                t0 = time.perf_counter()
                server.call("memory_action", {"action": "store", "project": project, "file_name": dia_id,
                                              "content": content, "conversation_id": project, "created_at": when,
                                              "resource_type": "conversation_turn"})
                store_ms.append((time.perf_counter() - t0) * 1000)
                base.execute("INSERT INTO t VALUES (?, ?)", (dia_id, content))
            for question, evidence, cat in questions_of(conv, ids):
                t0 = time.perf_counter()
                got = server.call("memory_action", {"action": "retrieve", "project": project, "query": question,
                                                    "top_k": K, "max_tokens": 100000})
                query_ms.append((time.perf_counter() - t0) * 1000)
                ranked = [d["file_name"] for d in got["documents"]]
                for name, r in (("ltmc", ranked), ("bm25", [row[0] for row in bm25_baseline(base, question)])):
                    s5, s10, rr = score(r, evidence)
                    totals[name][0] += s5
                    totals[name][1] += s10
                    totals[name][2] += rr
                    if name == "ltmc":
                        c = per_cat.setdefault(cat, [0, 0])
                        c[0] += s5
                        c[1] += 1
                n_questions += 1
    finally:
        server.close()
        subprocess.run(["rm", "-rf", tmp])
    median = lambda xs: sorted(xs)[len(xs) // 2] if xs else 0.0
    print(f"LoCoMo dev retrieval ({len(files)} conversations, {n_questions} questions, categories 1-4)")
    print(f"{'system':<28}{'recall@5':>10}{'recall@10':>11}{'MRR':>8}")
    for name, label in (("bm25", "plain FTS5 BM25 (baseline)"), ("ltmc", "ltmc memory_action retrieve")):
        r5, r10, mrr = totals[name]
        print(f"{label:<28}{r5 / n_questions:>10.3f}{r10 / n_questions:>11.3f}{mrr / n_questions:>8.3f}")
    print("ltmc recall@5 by category: " + ", ".join(
        f"{c}: {v[0] / v[1]:.3f} ({v[1]})" for c, v in sorted(per_cat.items())))
    print(f"ltmc latency over stdio: store median {median(store_ms):.2f} ms, retrieve median {median(query_ms):.2f} ms")


if __name__ == "__main__":
    main()
