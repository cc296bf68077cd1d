// `ltmc serve --http`: MCP Streamable HTTP through the official SDK's
// StreamableHTTPClientTransport, plus raw fetch() for the header and status
// rules the SDK never breaks (403/400/404/405/401/413/202), several clients
// at once, a ping during a slow call, and SIGTERM while a call runs.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { BIN, TOOL_NAMES, checkToolResult, closeClean, connect, mergeEnv, sandbox, sleep, withRaw } from './helpers.mjs';

const SANITIZER_MARKERS = /LeakSanitizer|AddressSanitizer|runtime error:|UndefinedBehaviorSanitizer/;

/** Starts `ltmc serve --http 127.0.0.1:0` (or addr); resolves once it listens. */
function startHttp(sb, { addr = '127.0.0.1:0', env = {}, args = [] } = {}) {
  const proc = spawn(BIN, ['serve', '--http', addr, ...args], { env: mergeEnv(sb.env, env), cwd: sb.root, stdio: ['ignore', 'pipe', 'pipe'] });
  sb.children.add(proc);
  let stderr = '';
  let stdout = '';
  proc.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise((res) => proc.once('close', (code, signal) => res({ code, signal, stderr, stdout })));
  const ready = new Promise((res, rej) => {
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) res(m[1]);
    });
    exited.then((st) => rej(new Error(`server exited before listening: ${JSON.stringify(st)}`)));
  });
  return {
    proc,
    exited,
    ready,
    stderr: () => stderr,
    /** SIGTERM, then asserts exit 0, nothing on stdout and no sanitizer report. */
    async stop() {
      proc.kill('SIGTERM');
      const st = await exited;
      assert.doesNotMatch(st.stderr, SANITIZER_MARKERS, `sanitizer report:\n${st.stderr}`);
      assert.equal(st.signal, null, `killed by ${st.signal}`);
      assert.equal(st.code, 0, `exit ${st.code}; stderr:\n${st.stderr}`);
      assert.equal(st.stdout, '', 'nothing on stdout in HTTP mode');
      return st;
    },
  };
}

async function sdkClient(url, { headers, name = 'ltmc-http-e2e' } = {}) {
  const transport = new StreamableHTTPClientTransport(new URL(url), headers ? { requestInit: { headers } } : undefined);
  const client = new Client({ name, version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return { client, transport };
}

const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
const init = (id = 1, protocolVersion = '2025-11-25') => ({
  jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

// node:http rather than fetch(): fetch silently drops a Host header.
function post(url, body, headers = {}) {
  const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...JSON_HEADERS, 'Content-Length': data.length, ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json = null;
        try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: new Headers(res.headers), text, json });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

async function rawSession(url, headers = {}) {
  const r = await post(url, init(), headers);
  assert.equal(r.status, 200, r.text);
  const sid = r.headers.get('mcp-session-id');
  assert.match(sid ?? '', /^[0-9a-f]{32}$/, 'a 128-bit random session id');
  const n = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25', ...headers });
  assert.equal(n.status, 202, 'a notification is accepted with 202');
  assert.equal(n.text, '');
  return sid;
}

test('SDK client over HTTP: initialize, tools/list, calls of several tools, session end', async (t) => {
  const sb = sandbox(t);
  const srv = startHttp(sb);
  const url = await srv.ready;
  const { client, transport } = await sdkClient(url);
  assert.match(transport.sessionId, /^[0-9a-f]{32}$/);
  assert.equal(client.getServerVersion().name, 'ltmc');
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((x) => x.name), TOOL_NAMES);
  assert.deepEqual(await client.ping(), {});

  const add = checkToolResult(await client.callTool({ name: 'todo_action', arguments: { action: 'add', title: 'ship the HTTP transport' } }));
  assert.ok(add.todo_id);
  const list = checkToolResult(await client.callTool({ name: 'todo_action', arguments: { action: 'list' } }));
  assert.equal(list.total_count, 1);
  const stored = checkToolResult(await client.callTool({ name: 'memory_action', arguments: { action: 'store', file_name: 'http.md', content: 'The HTTP transport uses libmicrohttpd with one thread per connection.' } }));
  assert.ok(stored.doc_id);
  const found = checkToolResult(await client.callTool({ name: 'memory_action', arguments: { action: 'retrieve', query: 'libmicrohttpd thread' } }));
  assert.equal(found.documents[0].doc_id, stored.doc_id);
  checkToolResult(await client.callTool({ name: 'chat_action', arguments: { action: 'log', conversation_id: 'c1', role: 'user', content: 'hello over http' } }));
  const bad = await client.callTool({ name: 'todo_action', arguments: { action: 'nope' } });
  assert.equal(bad.isError, true, 'validation failures are tool results with isError');

  // A second client sees the first one's data: one store behind every session.
  const other = await sdkClient(url, { name: 'second' });
  assert.notEqual(other.transport.sessionId, transport.sessionId, 'each client its own session');
  const list2 = checkToolResult(await other.client.callTool({ name: 'todo_action', arguments: { action: 'list' } }));
  assert.equal(list2.total_count, 1);
  await other.client.close();

  const sid = transport.sessionId;
  await transport.terminateSession();
  const after = await post(url, { jsonrpc: '2.0', id: 9, method: 'ping' }, { 'Mcp-Session-Id': sid });
  assert.equal(after.status, 404, 'a DELETEd session is gone');
  await client.close();
  await srv.stop();
});

test('HTTP status rules: 405, 400, 404, 403, 415, 413, 202, protocol version, parse errors', async (t) => {
  const sb = sandbox(t);
  const srv = startHttp(sb, { env: { LTMC_MAX_MESSAGE_MB: 16 } });
  const url = await srv.ready;
  const sid = await rawSession(url);
  const ok = { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' };

  const get = await fetch(url, { headers: { Accept: 'text/event-stream', ...ok } });
  assert.equal(get.status, 405, 'no server-initiated stream');
  assert.match(get.headers.get('allow') ?? '', /POST/);
  await get.text();

  const ping = await post(url, { jsonrpc: '2.0', id: 'p', method: 'ping' }, ok);
  assert.equal(ping.status, 200);
  assert.match(ping.headers.get('content-type'), /^application\/json/);
  assert.deepEqual(ping.json, { jsonrpc: '2.0', id: 'p', result: {} });

  const noSession = await post(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'MCP-Protocol-Version': '2025-11-25' });
  assert.equal(noSession.status, 400, 'a request without Mcp-Session-Id');
  assert.equal(noSession.json.error.code, -32600);
  assert.equal(noSession.json.id, null);

  const unknown = await post(url, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'Mcp-Session-Id': 'f'.repeat(32) });
  assert.equal(unknown.status, 404, 'an unknown session');

  const badVersion = await post(url, { jsonrpc: '2.0', id: 4, method: 'ping' }, { ...ok, 'MCP-Protocol-Version': '1999-01-01' });
  assert.equal(badVersion.status, 400, 'an unsupported MCP-Protocol-Version');
  const noVersion = await post(url, { jsonrpc: '2.0', id: 5, method: 'ping' }, { 'Mcp-Session-Id': sid });
  assert.equal(noVersion.status, 200, 'no MCP-Protocol-Version header: 2025-03-26 is assumed');
  const oldVersion = await post(url, { jsonrpc: '2.0', id: 6, method: 'ping' }, { ...ok, 'MCP-Protocol-Version': '2025-06-18' });
  assert.equal(oldVersion.status, 200);

  for (const [h, v] of [['Host', 'evil.example.com'], ['Origin', 'http://evil.example.com'], ['Origin', 'null']]) {
    const r = await post(url, init(7), { [h]: v });
    assert.equal(r.status, 403, `${h}: ${v} is refused (DNS rebinding)`);
    assert.equal(r.headers.get('mcp-session-id'), null);
  }
  const port = new URL(url).port;
  for (const origin of [`http://localhost:${port}`, `http://127.0.0.1:${port}`]) {
    const r = await post(url, { jsonrpc: '2.0', id: 8, method: 'ping' }, { ...ok, Origin: origin });
    assert.equal(r.status, 200, `Origin ${origin} is a loopback origin`);
  }
  const localhostHost = await post(url, { jsonrpc: '2.0', id: 8, method: 'ping' }, { ...ok, Host: `localhost:${port}` });
  assert.equal(localhostHost.status, 200);

  const badInit = await post(url, { jsonrpc: '2.0', id: 20, method: 'initialize', params: {} });
  assert.equal(badInit.json.error.code, -32602, 'initialize without protocolVersion');
  assert.equal(badInit.headers.get('mcp-session-id'), null, 'a failed initialize opens no session');

  const wrongPath = await post(url.replace(/\/mcp$/, '/other'), init(9));
  assert.equal(wrongPath.status, 404);

  const wrongType = await post(url, init(10), { 'Content-Type': 'text/plain' });
  assert.equal(wrongType.status, 415);

  const parse = await post(url, '{"jsonrpc":"2.0", "id": 11, "method": ', ok);
  assert.equal(parse.status, 400);
  assert.equal(parse.json.error.code, -32700);
  const batch = await post(url, '[]', ok);
  assert.equal(batch.status, 400);
  assert.equal(batch.json.error.code, -32600);

  const notFound = await post(url, { jsonrpc: '2.0', id: 12, method: 'no/such' }, ok);
  assert.equal(notFound.status, 200, 'a JSON-RPC error is still a 200 response');
  assert.equal(notFound.json.error.code, -32601);

  const response = await post(url, { jsonrpc: '2.0', id: 99, result: {} }, ok);
  assert.equal(response.status, 202, 'a JSON-RPC response from the client is accepted');

  const big = 'x'.repeat(16 * 1024 * 1024 + 10);
  const tooBig = await post(url, `{"jsonrpc":"2.0","id":13,"method":"ping","params":{"pad":"${big}"}}`, ok);
  assert.equal(tooBig.status, 413, 'over max_message_mb');

  const del = await fetch(url, { method: 'DELETE', headers: ok });
  assert.equal(del.status, 200);
  const delAgain = await fetch(url, { method: 'DELETE', headers: ok });
  assert.equal(delAgain.status, 404);
  const afterDelete = await post(url, { jsonrpc: '2.0', id: 14, method: 'ping' }, ok);
  assert.equal(afterDelete.status, 404);
  await srv.stop();
});

test('bearer token: 401 without or with a wrong token, SDK client with it; non-loopback refused without one', async (t) => {
  const sb = sandbox(t);
  const token = 'e2e-secret-token-0123456789';
  const srv = startHttp(sb, { env: { LTMC_HTTP_AUTH_TOKEN: token } });
  const url = await srv.ready;
  for (const auth of [undefined, 'Bearer wrong', `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, token]) {
    const r = await post(url, init(), auth ? { Authorization: auth } : {});
    assert.equal(r.status, 401, `Authorization: ${auth}`);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
  }
  const { client } = await sdkClient(url, { headers: { Authorization: `Bearer ${token}` } });
  const cfg = checkToolResult(await client.callTool({ name: 'config_action', arguments: { action: 'export_config' } }));
  assert.equal(cfg.config_export.settings.http_auth_token, '********', 'the token is masked');
  assert.equal(JSON.stringify(cfg).includes(token), false);
  await client.close();
  await srv.stop();

  const open = startHttp(sb, { addr: '0.0.0.0:0' });
  await assert.rejects(open.ready, /exited before listening/);
  const st = await open.exited;
  assert.equal(st.code, 1);
  assert.match(st.stderr, /http_auth_token/);
});

test('several clients at once; ping is not delayed by a slow call', async (t) => {
  const sb = sandbox(t);
  const srv = startHttp(sb, { env: { LTMC_HTTP_WORKERS: 4 } });
  const url = await srv.ready;
  const CLIENTS = 8, ADDS = 40;
  const clients = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => sdkClient(url, { name: `c${i}` })));
  const results = await Promise.all(clients.map(({ client }, c) => Promise.all(Array.from({ length: ADDS }, (_, i) =>
    client.callTool({ name: 'todo_action', arguments: { action: 'add', title: `c${c}-t${i}` } }).then((r) => checkToolResult(r))))));
  const ids = results.flat().map((r) => r.todo_id);
  assert.equal(new Set(ids).size, CLIENTS * ADDS, 'every add got its own id');
  const list = checkToolResult(await clients[0].client.callTool({ name: 'todo_action', arguments: { action: 'list', limit: 1 } }));
  assert.equal(list.total_count, CLIENTS * ADDS);

  // A slow bulk_store on one client; pings from another meanwhile.
  const docs = Array.from({ length: 3000 }, (_, i) => ({ file_name: `doc${i}.md`, content: `Document ${i} about topic ${i % 97} with several words to embed and index, number ${i}.` }));
  let slowDone = 0;
  const slowStart = performance.now();
  const slow = clients[1].client.callTool({ name: 'memory_action', arguments: { action: 'bulk_store', documents: docs } }, undefined, { timeout: 300000 })
    .then((r) => { slowDone = performance.now(); return checkToolResult(r); });
  await sleep(100);
  // Meanwhile pings from one client and reading tool calls (todo list) from
  // another: no lock around tool calls, so neither waits for the slow one.
  const pings = [], reads = [];
  const reader = (async () => {
    while (!slowDone && reads.length < 50) {
      const t0 = performance.now();
      checkToolResult(await clients[3].client.callTool({ name: 'todo_action', arguments: { action: 'list', limit: 5 } }));
      reads.push(performance.now() - t0);
      await sleep(20);
    }
  })();
  while (!slowDone && pings.length < 50) {
    const t0 = performance.now();
    await clients[2].client.ping();
    pings.push(performance.now() - t0);
    await sleep(20);
  }
  const res = await slow;
  await reader;
  const slowMs = slowDone - slowStart;
  const maxPing = Math.max(...pings), maxRead = Math.max(...reads);
  console.log(`# bulk_store of 3000 took ${slowMs.toFixed(0)} ms; ${pings.length} pings meanwhile, slowest ${maxPing.toFixed(1)} ms; ${reads.length} todo lists, slowest ${maxRead.toFixed(1)} ms`);
  assert.equal(res.stored, 3000);
  assert.ok(pings.length >= 2 && reads.length >= 2, 'the slow call lasted long enough to ping and read during it');
  assert.ok(maxPing < Math.max(200, slowMs / 4), `a ping took ${maxPing.toFixed(0)} ms during a ${slowMs.toFixed(0)} ms call`);
  assert.ok(maxRead < Math.max(300, slowMs / 3), `a todo list took ${maxRead.toFixed(0)} ms during a ${slowMs.toFixed(0)} ms call`);
  await Promise.all(clients.map(({ client }) => client.close()));
  await srv.stop();
});

test('SIGTERM lets a call in progress finish and answer, then exits 0', async (t) => {
  const sb = sandbox(t);
  const srv = startHttp(sb);
  const url = await srv.ready;
  const { client } = await sdkClient(url);
  const docs = Array.from({ length: 3000 }, (_, i) => ({ file_name: `d${i}.md`, content: `Shutdown test document ${i}, words ${i % 31} and ${i % 17}.` }));
  const call = client.callTool({ name: 'memory_action', arguments: { action: 'bulk_store', documents: docs } }, undefined, { timeout: 300000 });
  await sleep(150);
  srv.proc.kill('SIGTERM');
  const res = checkToolResult(await call);
  assert.equal(res.stored, 3000, 'the call in flight completed');
  const st = await srv.exited;
  assert.equal(st.code, 0, st.stderr);
  assert.doesNotMatch(st.stderr, SANITIZER_MARKERS);

  // Nothing half-written: a new server sees all 3000.
  const again = startHttp(sb);
  const { client: c2 } = await sdkClient(await again.ready);
  const list = checkToolResult(await c2.callTool({ name: 'memory_action', arguments: { action: 'list', limit: 1 } }));
  assert.equal(list.total_count, 3000);
  await c2.close();
  await again.stop();
});

// notifications/progress for bulk_store when the client sends a progressToken
// (the SDK does when onprogress is given), on both transports.
const progressDocs = (n, tag) => Array.from({ length: n }, (_, i) => ({ file_name: `${tag}${i}.md`, content: `Progress ${tag} document ${i}, about ${i % 13}.` }));

/** Checks a call's progress notifications: 2 to 101 of them, increasing, the last n of n. */
function checkProgress(seen, n) {
  assert.ok(seen.length >= 2 && seen.length <= 101, `${seen.length} progress notifications`);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i].progress > seen[i - 1].progress, 'progress increases');
  assert.equal(seen.at(-1).progress, n);
  assert.equal(seen.at(-1).total, n);
  assert.match(seen.at(-1).message, new RegExp(`${n} of ${n}`));
}

/** Through the SDK. Its stdio client hands a notification to onprogress a
 * turn after reading it, and drops one whose request has been answered in
 * the meantime: the last notifications, read in the same chunk as the
 * response, can be lost on the client's side. So over stdio (lastIsExact
 * false) only their order is checked here, and the raw stream is checked
 * separately. */
async function bulkWithProgress(client, n, tag, lastIsExact = true) {
  const seen = [];
  const res = checkToolResult(await client.callTool({ name: 'memory_action', arguments: { action: 'bulk_store', documents: progressDocs(n, tag) } }, undefined, { onprogress: (p) => seen.push(p), timeout: 120000 }));
  assert.equal(res.stored, n);
  if (lastIsExact) checkProgress(seen, n);
  else for (let i = 1; i < seen.length; i++) assert.ok(seen[i].progress > seen[i - 1].progress, 'progress increases');
  return seen.length;
}

test('progress notifications for bulk_store over HTTP (SSE) and stdio', async (t) => {
  const sb = sandbox(t);
  const srv = startHttp(sb);
  const { client } = await sdkClient(await srv.ready);
  await bulkWithProgress(client, 250, 'h');
  // Raw: SSE framing (progress events, then the response) only for a client that takes SSE.
  const url = await srv.ready;
  const sid = await rawSession(url);
  const call = (id, tok) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'memory_action', _meta: tok ? { progressToken: tok } : undefined, arguments: { action: 'bulk_store', documents: [{ file_name: `r${id}`, content: `raw progress ${id}` }, { file_name: `q${id}`, content: `second raw ${id}` }] } } });
  const hdr = { 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' };
  const sse = await post(url, call(1, 7), hdr);
  assert.equal(sse.status, 200);
  assert.match(sse.headers.get('content-type'), /^text\/event-stream/);
  const events = sse.text.split('\n\n').filter(Boolean).map((e) => JSON.parse(/^data: (.*)$/m.exec(e)[1]));
  assert.deepEqual(events.map((e) => e.method ?? 'response'), ['notifications/progress', 'notifications/progress', 'response']);
  assert.equal(events[0].params.progressToken, 7, 'the token keeps its type');
  assert.equal(events[2].id, 1);
  const plain = await post(url, call(2, 'tok'), { ...hdr, Accept: 'application/json' });
  assert.match(plain.headers.get('content-type'), /^application\/json/, 'no SSE for a JSON-only client');
  assert.equal(plain.json.id, 2);
  const noToken = await post(url, call(3), hdr);
  assert.match(noToken.headers.get('content-type'), /^application\/json/, 'no token, no notifications');
  await client.close();
  await srv.stop();

  const session = await connect(sb);
  await bulkWithProgress(session.client, 120, 's', false);
  await closeClean(session);
  // The raw stdio stream: every notification, then the response.
  await withRaw(t, async (raw) => {
    await raw.initialize();
    await raw.send({ jsonrpc: '2.0', id: 'b', method: 'tools/call', params: { name: 'memory_action', _meta: { progressToken: 'pt' }, arguments: { action: 'bulk_store', documents: progressDocs(120, 'r') } } });
    await raw.response('b', 60000);
    const at = raw.messages.findIndex((m) => m.id === 'b');
    const progress = raw.messages.filter((m, i) => m.method === 'notifications/progress' && m.params.progressToken === 'pt' && i < at);
    assert.equal(raw.messages.filter((m) => m.method === 'notifications/progress').length, progress.length, 'none after the response');
    checkProgress(progress.map((m) => m.params), 120);
  }, { sandbox: sb });
});

// Live SSE: the events of a call go out while it runs, not with its response.
test('live SSE: progress events arrive while the call is still running', async (t) => {
  const sb = sandbox(t);
  const srv = startHttp(sb);
  const url = await srv.ready;
  const sid = await rawSession(url);
  const docs = Array.from({ length: 2000 }, (_, i) => ({ file_name: `live${i}.md`, content: `Live streaming document ${i} about ${i % 23} and ${i % 7}.` }));
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'memory_action', _meta: { progressToken: 'live' }, arguments: { action: 'bulk_store', documents: docs } } }));
  const t0 = performance.now();
  const arrivals = await new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...JSON_HEADERS, 'Content-Length': body.length, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2025-11-25' } }, (res) => {
      assert.match(res.headers['content-type'], /^text\/event-stream/);
      const seen = [];
      let pending = '';
      res.on('data', (chunk) => {
        pending += chunk;
        let cut;
        while ((cut = pending.indexOf('\n\n')) >= 0) {
          const ev = pending.slice(0, cut);
          pending = pending.slice(cut + 2);
          const m = /^data: (.*)$/m.exec(ev);
          if (m) seen.push({ at: performance.now() - t0, msg: JSON.parse(m[1]) });
        }
      });
      res.on('end', () => resolve(seen));
    });
    req.on('error', reject);
    req.end(body);
  });
  const resp = arrivals.at(-1);
  assert.equal(resp.msg.id, 9, 'the response comes last');
  assert.equal(resp.msg.result.structuredContent.stored, 2000);
  const progress = arrivals.filter((a) => a.msg.method === 'notifications/progress');
  assert.ok(progress.length >= 2, `${progress.length} progress events`);
  const first = progress[0].at;
  console.log(`# first progress event after ${first.toFixed(0)} ms, response after ${resp.at.toFixed(0)} ms`);
  assert.ok(resp.at - first > 0.3 * resp.at, `progress came at ${first.toFixed(0)} ms, the response at ${resp.at.toFixed(0)} ms: not live`);
  await srv.stop();
});

/** An SDK client that answers sampling and elicitation requests. */
async function answeringClient(transport, { capabilities = { sampling: {}, elicitation: {} }, onElicit } = {}) {
  const client = new Client({ name: 'answering', version: '1.0.0' }, { capabilities });
  const asked = [];
  if (capabilities.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      asked.push(req);
      return { role: 'assistant', content: { type: 'text', text: `echo: ${req.params.messages[0].content.text}` }, model: 'e2e', stopReason: 'endTurn' };
    });
  }
  if (capabilities.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (req, extra) => {
      asked.push(req);
      if (onElicit) return onElicit(req, extra);
      return { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
    });
  }
  await client.connect(transport);
  const proc = transport._process; // stdio: the server's exit status and stderr are checked at the end
  if (proc) {
    let stderr = '';
    transport.stderr.on('data', (d) => (stderr += d));
    stdioExits.push(new Promise((res) => proc.once('close', (code, signal) => res({ code, signal, stderr: () => stderr }))));
  }
  return { client, asked };
}
const stdioExits = [];

const textOf = (res) => res.content[0].text;

// The protocol layer's requests to the client, through the conformance
// fixtures that use them, on both transports.
async function clientRequestChecks(makeTransport) {
  const { client, asked } = await answeringClient(makeTransport());
  const sampled = await client.callTool({ name: 'test_sampling', arguments: { prompt: 'two plus two' } });
  assert.equal(sampled.isError, undefined);
  assert.equal(textOf(sampled), 'LLM response: echo: two plus two');
  assert.equal(asked[0].method, 'sampling/createMessage');
  const elicited = await client.callTool({ name: 'test_elicitation', arguments: { message: 'who are you?' } });
  assert.equal(textOf(elicited), 'User response: action=accept, content={"username":"ada","email":"ada@example.com"}');
  assert.equal(asked[1].params.message, 'who are you?');
  // Several at once: each answer finds its own call.
  const many = await Promise.all(Array.from({ length: 6 }, (_, i) => client.callTool({ name: 'test_sampling', arguments: { prompt: `q${i}` } })));
  many.forEach((r, i) => assert.equal(textOf(r), `LLM response: echo: q${i}`));
  await client.close();

  // A client without the capability gets a clear error, not a request.
  const bare = await answeringClient(makeTransport(), { capabilities: {} });
  const refused = await bare.client.callTool({ name: 'test_sampling', arguments: { prompt: 'x' } });
  assert.equal(refused.isError, true);
  assert.match(textOf(refused), /did not declare the sampling capability/);
  assert.equal(bare.asked.length, 0);
  await bare.client.close();

  // Cancelling the call while the server waits for the user: the server
  // cancels its own request in turn, and keeps serving.
  let aborted;
  const abortedSeen = new Promise((res) => (aborted = res));
  const waiting = await answeringClient(makeTransport(), {
    onElicit: (req, extra) => new Promise((resolve) => extra.signal.addEventListener('abort', () => { aborted(); resolve({ action: 'cancel' }); })),
  });
  const ac = new AbortController();
  const call = waiting.client.callTool({ name: 'test_elicitation', arguments: { message: 'never answered' } }, undefined, { signal: ac.signal });
  while (waiting.asked.length === 0) await sleep(10);
  ac.abort('the user left');
  await assert.rejects(call);
  await Promise.race([abortedSeen, sleep(5000).then(() => assert.fail('the server did not cancel its elicitation request'))]);
  const after = await waiting.client.callTool({ name: 'test_simple_text', arguments: {} });
  assert.match(textOf(after), /simple text/);
  await waiting.client.close();
}

test('requests to the client during a call (sampling, elicitation) over HTTP and stdio', async (t) => {
  const sb = sandbox(t);
  const srv = startHttp(sb, { args: ['--conformance-fixtures'] });
  const url = await srv.ready;
  await clientRequestChecks(() => new StreamableHTTPClientTransport(new URL(url)));
  // SIGTERM while a call waits for the user: the wait ends at once, the call
  // answers (an error that says why) and the server exits 0.
  const stuck = await answeringClient(new StreamableHTTPClientTransport(new URL(url)), { onElicit: () => new Promise(() => {}) });
  const pending = stuck.client.callTool({ name: 'test_elicitation', arguments: { message: 'nobody answers' } });
  while (stuck.asked.length === 0) await sleep(10);
  const t0 = performance.now();
  const st = srv.stop();
  const answer = await pending;
  assert.equal(answer.isError, true);
  assert.match(textOf(answer), /session ended/);
  await st;
  assert.ok(performance.now() - t0 < 5000, 'the shutdown did not wait for the client');

  stdioExits.length = 0;
  await clientRequestChecks(() => new StdioClientTransport({ command: BIN, args: ['serve', '--conformance-fixtures'], env: mergeEnv(sb.env), stderr: 'pipe', cwd: sb.root }));
  // stdin closing while a call waits for the user: the server exits at once.
  const stuck2 = await answeringClient(new StdioClientTransport({ command: BIN, args: ['serve', '--conformance-fixtures'], env: mergeEnv(sb.env), stderr: 'pipe', cwd: sb.root }), { onElicit: () => new Promise(() => {}) });
  stuck2.client.callTool({ name: 'test_elicitation', arguments: { message: 'nobody answers' } }).catch(() => {});
  while (stuck2.asked.length === 0) await sleep(10);
  const t1 = performance.now();
  await stuck2.client.close();
  await stdioExits.at(-1);
  console.log(`# stdio server gone ${(performance.now() - t1).toFixed(0)} ms after stdin closed during a wait`);
  assert.ok(performance.now() - t1 < 1500, 'the server did not wait for an answer after stdin closed');
  assert.equal(stdioExits.length, 4);
  for (const st of await Promise.all(stdioExits)) {
    await sleep(50); // stderr's copy lags the pipe
    assert.doesNotMatch(st.stderr(), SANITIZER_MARKERS, st.stderr());
    assert.equal(st.code, 0, st.stderr());
  }
});
