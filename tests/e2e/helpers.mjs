// Shared helpers for the ltmc end-to-end tests.
//
// Every test gets its own sandbox: a temp directory holding the data dir, an
// empty XDG_CONFIG_HOME (so a user's ~/.config/ltmc/config.json never leaks
// in), and a private HOME. Servers are started either through the official
// SDK (`connect`) or raw (`spawnRaw`) for protocol edge cases the SDK cannot
// produce; one-shot commands go through `runCli`.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export const BIN = process.env.LTMC_BIN ?? resolve(here, '../../build/san/ltmc');
if (!existsSync(BIN)) throw new Error(`ltmc binary not found at ${BIN}; run make build/san/ltmc or set LTMC_BIN`);

// The GloVe word vectors (make model): every sandbox names the file through
// LTMC_GLOVE_PATH, so the tests search by meaning with the real embedder
// rather than the hash fallback (for build/san/ltmc the file is not found
// beside the binary).
export const GLOVE = resolve(process.env.LTMC_GLOVE_PATH ?? resolve(here, '../../build/glove-100d.ltmcvec'));
if (!existsSync(GLOVE)) throw new Error(`GloVe vectors not found at ${GLOVE}; run make model or set LTMC_GLOVE_PATH`);

export const TOOL_NAMES = ['memory_action', 'todo_action', 'chat_action', 'graph_action', 'blueprint_action', 'unix_action', 'pattern_action', 'cache_action', 'documentation_action', 'sync_action', 'config_action'];

// Markers of a sanitizer report on stderr: any of them fails a clean shutdown.
const SANITIZER_MARKERS = /LeakSanitizer|AddressSanitizer|runtime error:|UndefinedBehaviorSanitizer|ThreadSanitizer/;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** base + extra; a null or undefined value in extra removes the variable. */
export function mergeEnv(base, extra = {}) {
  const out = { ...base };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === null || v === undefined) delete out[k];
    else out[k] = String(v);
  }
  return out;
}

// ---- sandboxes ------------------------------------------------------------------

/**
 * Creates a temp sandbox and registers its removal on t.after (when t is given).
 * opts.dataEnv (default true): set LTMC_DATA_DIR / LTMC_DB_PATH to the sandbox.
 * opts.env: extra environment variables.
 */
export function sandbox(t, opts = {}) {
  const root = mkdtempSync(join(tmpdir(), 'ltmc-e2e-'));
  const dataDir = join(root, 'data');
  const dbPath = join(dataDir, 'ltmc.db');
  const configHome = join(root, 'xdg-config');
  const home = join(root, 'home');
  mkdirSync(configHome);
  mkdirSync(home);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    XDG_CONFIG_HOME: configHome,
    XDG_DATA_HOME: join(root, 'xdg-data'),
    // Leak detection on (the default for ASan on Linux, made explicit); keep
    // any extra options the caller set for the run.
    ASAN_OPTIONS: ['detect_leaks=1', process.env.ASAN_OPTIONS].filter(Boolean).join(':'),
    UBSAN_OPTIONS: ['print_stacktrace=1', process.env.UBSAN_OPTIONS].filter(Boolean).join(':'),
    LTMC_LOG_LEVEL: 'warning',
    LTMC_GLOVE_PATH: GLOVE,
  };
  if (opts.dataEnv !== false) {
    env.LTMC_DATA_DIR = dataDir;
    env.LTMC_DB_PATH = dbPath;
  }
  const sb = {
    children: new Set(), // every process started in this sandbox, killed at cleanup if still alive
    root,
    dataDir,
    dbPath,
    configHome,
    home,
    env: mergeEnv(env, opts.env),
    /** Writes a file inside the sandbox (JSON.stringify for objects); returns its path. */
    file(name, content) {
      const p = join(root, name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content, null, 2));
      return p;
    },
    /** Kills any process of this sandbox still running, then removes the sandbox. */
    async cleanup() {
      const alive = [...sb.children].filter((c) => c.exitCode === null && c.signalCode === null);
      await Promise.all(alive.map((c) => new Promise((res) => {
        c.once('exit', res);
        c.kill('SIGKILL');
      })));
      rmSync(root, { recursive: true, force: true });
    },
  };
  if (t) t.after(() => sb.cleanup());
  return sb;
}

// ---- the SDK client -----------------------------------------------------------------

/**
 * Spawns `ltmc serve` through the SDK's StdioClientTransport and connects a Client.
 * Returns { client, transport, stderr(), close() }; close() ends the session
 * (stdin EOF) and resolves to { code, signal, stderr } once the process is gone.
 */
export async function connect(sb, { args = [], env = {}, clientName = 'ltmc-e2e' } = {}) {
  const transport = new StdioClientTransport({
    command: BIN,
    args: ['serve', ...args],
    env: mergeEnv(sb.env, env),
    stderr: 'pipe',
    cwd: sb.root,
  });
  let stderr = '';
  transport.stderr.on('data', (d) => (stderr += d.toString()));
  const stderrEnded = new Promise((r) => transport.stderr.once('end', r));
  const client = new Client({ name: clientName, version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  // The SDK keeps the child private and hides its exit status; we need it to
  // tell a clean exit (0) from a sanitizer report (non-zero at exit).
  const proc = transport._process;
  assert.ok(proc && typeof proc.once === 'function', 'StdioClientTransport internals changed: no _process');
  sb.children.add(proc);
  // 'close' comes after 'exit' once stdout/stderr are drained, so a
  // sanitizer report printed at exit is in `stderr` by then.
  const exited = new Promise((res) => proc.once('close', (code, signal) => res({ code, signal })));
  let closed;
  return {
    client,
    transport,
    pid: proc.pid,
    stderr: () => stderr,
    exited,
    async close() {
      if (!closed) {
        closed = (async () => {
          await client.close();
          const st = await exited;
          await Promise.race([stderrEnded, sleep(2000)]); // the PassThrough copy of stderr lags the pipe
          return { ...st, stderr };
        })();
      }
      return closed;
    },
  };
}

/** Closes an SDK session and asserts a clean shutdown: exit 0, no sanitizer report. */
export async function closeClean(session) {
  const { code, signal, stderr } = await session.close();
  assert.doesNotMatch(stderr, SANITIZER_MARKERS, `sanitizer report on stderr:\n${stderr}`);
  assert.equal(signal, null, `server killed by ${signal}; stderr:\n${stderr}`);
  assert.equal(code, 0, `server exit code ${code}; stderr:\n${stderr}`);
  return stderr;
}

/** Closes every session (all of them, even when one fails), then asserts each shut down cleanly. */
export async function closeAllClean(...sessions) {
  const results = await Promise.allSettled(sessions.map((s) => s.close()));
  const errors = [];
  for (const [i, r] of results.entries()) {
    try {
      if (r.status === 'rejected') throw r.reason;
      await closeClean(sessions[i]); // session.close() is memoised: this only checks the status
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length) throw errors[0];
}

/**
 * Runs a test body with a connected SDK client and a clean-shutdown check at
 * the end (the process is always stopped, even when the body throws).
 */
export async function withClient(t, fn, opts = {}) {
  const sb = opts.sandbox ?? sandbox(t, opts);
  const session = await connect(sb, opts);
  let ok = false;
  try {
    await fn(session.client, { sb, session });
    ok = true;
  } finally {
    if (ok) await closeClean(session);
    else await session.close().catch(() => {});
  }
}

/**
 * tools/call through the SDK; checks the result envelope (text block equals
 * structuredContent, isError mirrors success) and returns structuredContent.
 */
export async function callTool(client, name, args, { expectError = false } = {}) {
  const res = await client.callTool({ name, arguments: args });
  return checkToolResult(res, { expectError, what: `${name} ${JSON.stringify(args).slice(0, 200)}` });
}

export function checkToolResult(res, { expectError = false, what = 'tool call' } = {}) {
  assert.ok(Array.isArray(res.content) && res.content.length >= 1, `${what}: content must be a non-empty array`);
  assert.equal(res.content[0].type, 'text', `${what}: first content block must be text`);
  const sc = res.structuredContent;
  assert.ok(sc && typeof sc === 'object' && !Array.isArray(sc), `${what}: structuredContent must be an object`);
  assert.deepStrictEqual(JSON.parse(res.content[0].text), sc, `${what}: text content and structuredContent differ`);
  assert.equal(typeof sc.success, 'boolean', `${what}: success must be a boolean`);
  assert.equal(res.isError === true, !sc.success, `${what}: isError must mirror !success`);
  if (expectError) {
    assert.equal(res.isError, true, `${what}: expected isError, got ${JSON.stringify(sc)}`);
    assert.equal(typeof sc.error, 'string', `${what}: an error result needs an error message`);
  } else {
    assert.ok(!res.isError, `${what}: unexpected error: ${JSON.stringify(sc)}`);
  }
  return sc;
}

export const memory = (client, args, o) => callTool(client, 'memory_action', args, o);
export const todo = (client, args, o) => callTool(client, 'todo_action', args, o);
export const chat = (client, args, o) => callTool(client, 'chat_action', args, o);
export const graph = (client, args, o) => callTool(client, 'graph_action', args, o);
export const blueprint = (client, args, o) => callTool(client, 'blueprint_action', args, o);
export const config = (client, args, o) => callTool(client, 'config_action', args, o);
export const unix = (client, args, o) => callTool(client, 'unix_action', args, o);
export const cache = (client, args, o) => callTool(client, 'cache_action', args, o);

// ---- the raw stdio client ------------------------------------------------------------

const INIT_PARAMS = {
  protocolVersion: '2025-11-25',
  capabilities: {},
  clientInfo: { name: 'ltmc-e2e-raw', version: '1.0.0' },
};

/**
 * Spawns `ltmc serve` with plain pipes. Every stdout line is parsed and
 * checked as a JSON-RPC message; lines that are not go to `invalid`.
 */
export function spawnRaw(sb, { args = [], env = {} } = {}) {
  const child = spawn(BIN, ['serve', ...args], {
    env: mergeEnv(sb.env, env),
    cwd: sb.root,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  sb.children.add(child);
  const raw = {
    child,
    messages: [], // every parsed stdout message, in order
    invalid: [], // stdout lines that were not valid JSON-RPC messages
    stdout: '',
    stderr: '',
    waiters: [],
    exitInfo: null,
    stdinEndedAt: null,
  };
  let pending = '';
  child.stdout.on('data', (d) => {
    pending += d.toString('utf8');
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        raw.invalid.push(line);
        continue;
      }
      const why = jsonRpcProblem(msg);
      if (why) raw.invalid.push(`${why}: ${line.slice(0, 300)}`);
      raw.messages.push(msg);
      for (const w of [...raw.waiters]) w();
    }
  });
  child.stdout.on('end', () => {
    if (pending.length) raw.invalid.push(`unterminated line: ${pending.slice(0, 300)}`);
    pending = '';
  });
  child.stderr.on('data', (d) => (raw.stderr += d.toString()));
  child.stdin.on('error', () => {}); // EPIPE after exit is reported through the exit status
  let exitAt;
  child.once('exit', () => (exitAt = performance.now()));
  // Resolved on 'close' (stdio drained), timed at 'exit'.
  raw.exited = new Promise((res) => {
    child.once('close', (code, signal) => {
      raw.exitInfo = { code, signal, at: exitAt ?? performance.now() };
      for (const w of [...raw.waiters]) w();
      res(raw.exitInfo);
    });
  });

  /** Writes raw bytes/text (no newline added); resolves when flushed to the pipe. */
  raw.write = (data) => new Promise((res, rej) => child.stdin.write(data, (e) => (e ? rej(e) : res())));
  /** Sends one or more messages as lines in a single write. */
  raw.send = (...msgs) => raw.write(msgs.map((m) => (typeof m === 'string' ? m : JSON.stringify(m)) + '\n').join(''));
  /** Closes stdin (EOF) and records when. */
  raw.end = () => {
    raw.stdinEndedAt = performance.now();
    child.stdin.end();
  };
  /** Waits until pred(messages) returns a truthy value, and returns it. */
  raw.waitFor = (pred, timeoutMs = 10000, what = 'condition') =>
    new Promise((res, rej) => {
      const check = () => {
        const v = pred(raw.messages);
        if (v) {
          done();
          res(v);
        } else if (raw.exitInfo) {
          done();
          rej(new Error(`server exited (${JSON.stringify(raw.exitInfo)}) while waiting for ${what}; stderr:\n${raw.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(raw.messages).slice(0, 2000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        raw.waiters = raw.waiters.filter((w) => w !== check);
      };
      raw.waiters.push(check);
      check();
    });
  /** The response whose id is exactly (===) id. */
  raw.response = (id, timeoutMs) =>
    raw.waitFor((ms) => ms.find((m) => m.id === id && ('result' in m || 'error' in m)), timeoutMs, `response to id ${JSON.stringify(id)}`);
  /** Sends a request and waits for its response. */
  raw.request = async (id, method, params, timeoutMs) => {
    await raw.send({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    return raw.response(id, timeoutMs);
  };
  /** initialize + notifications/initialized. */
  raw.initialize = async (params = {}) => {
    const r = await raw.request('init', 'initialize', { ...INIT_PARAMS, ...params });
    await raw.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return r;
  };
  /** Responses (messages with result or error) whose id is exactly id. */
  raw.responsesFor = (id) => raw.messages.filter((m) => m.id === id);
  /** Ends stdin, waits for exit, and asserts a clean shutdown and a clean stdout. */
  raw.closeClean = async (timeoutMs = 10000) => {
    if (!raw.stdinEndedAt) raw.end();
    let timer;
    const info = await Promise.race([raw.exited, new Promise((r) => (timer = setTimeout(() => r(null), timeoutMs)))]);
    clearTimeout(timer);
    if (!info) {
      child.kill('SIGKILL');
      assert.fail(`server did not exit within ${timeoutMs} ms of stdin EOF`);
    }
    assert.doesNotMatch(raw.stderr, SANITIZER_MARKERS, `sanitizer report on stderr:\n${raw.stderr}`);
    assert.deepEqual(raw.invalid, [], 'stdout must carry only JSON-RPC messages, one per line');
    assert.equal(info.signal, null, `killed by ${info.signal}`);
    assert.equal(info.code, 0, `exit code ${info.code}; stderr:\n${raw.stderr}`);
    return { ...info, ms: info.at - raw.stdinEndedAt };
  };
  /** Stops the process no matter what (for finally blocks). */
  raw.kill = () => {
    if (!raw.exitInfo) child.kill('SIGKILL');
  };
  return raw;
}

/** Why msg is not a well-formed JSON-RPC 2.0 message a server may send, or null. */
export function jsonRpcProblem(msg) {
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return 'not an object';
  if (msg.jsonrpc !== '2.0') return 'jsonrpc is not "2.0"';
  if ('method' in msg) return typeof msg.method === 'string' ? null : 'method not a string';
  if (!('id' in msg)) return 'response without id';
  if (!(msg.id === null || typeof msg.id === 'string' || Number.isInteger(msg.id))) return 'bad id type';
  const hasResult = 'result' in msg, hasError = 'error' in msg;
  if (hasResult === hasError) return 'a response needs exactly one of result and error';
  if (hasResult && (typeof msg.result !== 'object' || msg.result === null || Array.isArray(msg.result)))
    return 'result must be an object';
  if (hasError && (!Number.isInteger(msg.error?.code) || typeof msg.error?.message !== 'string'))
    return 'error needs an integer code and a string message';
  return null;
}

/** Runs a test body with a raw server; asserts clean shutdown at the end. */
export async function withRaw(t, fn, opts = {}) {
  const sb = opts.sandbox ?? sandbox(t, opts);
  const raw = spawnRaw(sb, opts);
  let ok = false;
  try {
    await fn(raw, { sb });
    ok = true;
  } finally {
    if (ok) await raw.closeClean();
    else raw.kill();
  }
}

// ---- one-shot commands --------------------------------------------------------------

/** Runs `ltmc ...args`; resolves to { code, signal, stdout, stderr, ms }. */
export function runCli(sb, args, { env = {}, input, timeoutMs = 30000 } = {}) {
  return new Promise((res, rej) => {
    const started = performance.now();
    const child = spawn(BIN, args, { env: mergeEnv(sb.env, env), cwd: sb.root, stdio: ['pipe', 'pipe', 'pipe'] });
    sb.children.add(child);
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {});
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`ltmc ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', rej);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.end(input ?? '');
  });
}

/** runCli plus: no sanitizer report, and the given exit code. */
export async function runCliExpect(sb, args, expectedCode, opts) {
  const r = await runCli(sb, args, opts);
  assert.doesNotMatch(r.stderr, SANITIZER_MARKERS, `sanitizer report from ltmc ${args.join(' ')}:\n${r.stderr}`);
  assert.equal(r.code, expectedCode, `ltmc ${args.join(' ')} exited ${r.code} (want ${expectedCode})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}
