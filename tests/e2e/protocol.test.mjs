// JSON-RPC and stdio framing edge cases over a raw pipe: things the SDK
// client never sends. Every test also checks (in withRaw/closeClean) that
// stdout held only JSON-RPC lines and that the process exited 0 on EOF.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sandbox, sleep, spawnRaw, TOOL_NAMES, withRaw } from './helpers.mjs';

const req = (id, method, params) => ({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
const note = (method, params) => ({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) });
const init = (version) => ({ protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '0' } });

test('version negotiation: supported versions echoed, unknown one counter-offered', async (t) => {
  for (const [asked, expected] of [
    ['2025-11-25', '2025-11-25'],
    ['2025-06-18', '2025-06-18'],
    ['2025-03-26', '2025-03-26'],
    ['2024-11-05', '2024-11-05'],
    ['1999-01-01', '2025-11-25'],
    ['2099-12-31', '2025-11-25'],
  ]) {
    await withRaw(t, async (raw) => {
      const r = await raw.request(1, 'initialize', init(asked));
      assert.ok(r.result, `initialize ${asked} must succeed: ${JSON.stringify(r)}`);
      assert.equal(r.result.protocolVersion, expected, `asked ${asked}`);
      assert.equal(r.result.serverInfo.name, 'ltmc');
    });
  }
  await withRaw(t, async (raw) => {
    const r = await raw.request(1, 'initialize', { capabilities: {}, clientInfo: { name: 'x', version: '0' } });
    assert.equal(r.error?.code, -32602, 'initialize without protocolVersion is invalid params');
  });
});

test('malformed JSON -> -32700 with id null; the session survives', async (t) => {
  await withRaw(t, async (raw) => {
    await raw.initialize();
    for (const bad of ['{"jsonrpc":"2.0","id":1,"method":', 'not json at all', '{"a":1}}', '\u00ff\u00fe']) {
      const before = raw.messages.length;
      await raw.write(bad + '\n');
      const err = await raw.waitFor((ms) => ms.slice(before).find((m) => m.error), 5000, `parse error for ${bad}`);
      assert.equal(err.error.code, -32700, `for ${JSON.stringify(bad)}`);
      assert.equal(err.id, null);
      assert.ok('id' in err, 'id must be present (null)');
    }
    // Invalid UTF-8 bytes are a parse error too, not a crash.
    const before = raw.messages.length;
    await raw.write(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":9,"method":"ping","x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]));
    const e = await raw.waitFor((ms) => ms.slice(before).find((m) => m.error), 5000, 'invalid UTF-8 error');
    assert.equal(e.error.code, -32700);
    const pong = await raw.request(2, 'ping');
    assert.deepEqual(pong.result, {});
  });
});

test('batch array -> -32600 id null; non-object messages -> -32600', async (t) => {
  await withRaw(t, async (raw) => {
    await raw.initialize();
    await raw.send([req(1, 'ping'), req(2, 'ping')]);
    const e = await raw.waitFor((ms) => ms.find((m) => m.error && m.id === null), 5000, 'batch error');
    assert.equal(e.error.code, -32600);
    assert.deepEqual(raw.responsesFor(1), [], 'batch members must not be executed');
    assert.deepEqual(raw.responsesFor(2), []);
    for (const v of ['42', '"str"', 'null', 'true', '[]']) {
      const before = raw.messages.length;
      await raw.write(v + '\n');
      const m = await raw.waitFor((ms) => ms.slice(before).find((x) => x.error), 5000, `error for ${v}`);
      assert.equal(m.error.code, -32600, `for ${v}`);
      assert.equal(m.id, null);
    }
    assert.deepEqual((await raw.request(3, 'ping')).result, {});
  });
});

test('invalid requests: no method, bad jsonrpc, bad id types, bad params', async (t) => {
  await withRaw(t, async (raw) => {
    await raw.initialize();
    const noMethod = (await Promise.all([raw.send({ jsonrpc: '2.0', id: 8 }), raw.response(8)]))[1];
    assert.equal(noMethod.error.code, -32600);

    const badVersion = (await Promise.all([raw.send({ jsonrpc: '1.0', id: 9, method: 'ping' }), raw.response(9)]))[1];
    assert.equal(badVersion.error.code, -32600);
    const noVersion = (await Promise.all([raw.send({ id: 10, method: 'ping' }), raw.response(10)]))[1];
    assert.equal(noVersion.error.code, -32600);

    // A null, boolean, fractional or object id is invalid (MCP: string or integer, never null).
    for (const id of [null, true, 1.5, { a: 1 }]) {
      const before = raw.messages.length;
      await raw.send({ jsonrpc: '2.0', id, method: 'ping' });
      const m = await raw.waitFor((ms) => ms.slice(before).find((x) => x.error), 5000, `error for id ${JSON.stringify(id)}`);
      assert.equal(m.error.code, -32600, `id ${JSON.stringify(id)}`);
      assert.equal(m.id, null);
    }
    const methodNotString = (await Promise.all([raw.send({ jsonrpc: '2.0', id: 11, method: 5 }), raw.response(11)]))[1];
    assert.equal(methodNotString.error.code, -32600);

    const paramsArray = await raw.request(12, 'tools/list', [1, 2]);
    assert.equal(paramsArray.error.code, -32602, 'params must be an object');
  });
});

test('unknown method -> -32601; server/discover -> -32601 quickly', async (t) => {
  await withRaw(t, async (raw) => {
    // server/discover is a probe sent before initialize by dual-era clients.
    const t0 = performance.now();
    const d = await raw.request('d', 'server/discover', {});
    const ms = performance.now() - t0;
    console.log(`# server/discover answered in ${ms.toFixed(1)} ms`);
    assert.equal(d.error.code, -32601);
    assert.ok(ms < 1000, `server/discover took ${ms} ms`);

    await raw.initialize();
    for (const [i, m] of ['no/such/method', 'shutdown', 'prompts/list', 'resources/list', 'logging/setLevel'].entries()) {
      const r = await raw.request(100 + i, m, {});
      assert.equal(r.error?.code, -32601, `${m}: ${JSON.stringify(r)}`);
      assert.match(r.error.message, /not found/i);
    }
  });
});

test('tools/call errors: unknown tool -> -32602; bad arguments type -> -32602; bad args -> isError', async (t) => {
  await withRaw(t, async (raw) => {
    await raw.initialize();
    const unknown = await raw.request(1, 'tools/call', { name: 'nope_action', arguments: {} });
    assert.equal(unknown.error?.code, -32602);
    assert.match(unknown.error.message, /nope_action/);
    const noName = await raw.request(2, 'tools/call', { arguments: {} });
    assert.equal(noName.error?.code, -32602);
    const argsArray = await raw.request(3, 'tools/call', { name: 'todo_action', arguments: ['add'] });
    assert.equal(argsArray.error?.code, -32602);
    // Input validation failures are tool results with isError (SEP-1303), not protocol errors.
    const missing = await raw.request(4, 'tools/call', { name: 'todo_action', arguments: {} });
    assert.equal(missing.result?.isError, true);
    assert.equal(missing.result.structuredContent.error, 'Missing required parameter: action');
    // No arguments at all behaves like {}.
    const none = await raw.request(5, 'tools/call', { name: 'todo_action' });
    assert.equal(none.result?.isError, true);
    assert.equal(none.result.structuredContent.error, 'Missing required parameter: action');
  });
});

test('ids keep their type: "7" and 7 are different requests', async (t) => {
  await withRaw(t, async (raw) => {
    await raw.initialize();
    // Control path (ping, answered on the reader) and worker path (tools/list, tools/call).
    await raw.send(req('7', 'ping'), req(7, 'ping'), req('8', 'tools/list'), req(8, 'tools/list'),
      req('9', 'tools/call', { name: 'todo_action', arguments: { action: 'list' } }),
      req(9, 'tools/call', { name: 'todo_action', arguments: { action: 'list' } }),
      req('', 'ping'), req(0, 'ping'), req(-5, 'ping'), req(2 ** 53 - 1, 'ping'), req('ü✓ id', 'ping'));
    for (const id of ['7', 7, '8', 8, '9', 9, '', 0, -5, 2 ** 53 - 1, 'ü✓ id']) {
      const r = await raw.response(id);
      assert.ok(r.result, `id ${JSON.stringify(id)}: ${JSON.stringify(r)}`);
      assert.equal(raw.responsesFor(id).length, 1, `exactly one response for ${JSON.stringify(id)}`);
    }
    assert.ok(raw.responsesFor('8')[0].result.tools);
    assert.ok(raw.responsesFor(9)[0].result.structuredContent.success);
  });
});

test('notifications and responses are never answered', async (t) => {
  await withRaw(t, async (raw) => {
    await raw.initialize();
    const before = raw.messages.length;
    await raw.send(
      note('notifications/initialized'),
      note('notifications/unknown_thing', { x: 1 }),
      note('notifications/cancelled', { requestId: 'never-sent' }),
      note('notifications/cancelled', { requestId: 12345 }),
      note('notifications/cancelled'),
      note('tools/call', { name: 'todo_action', arguments: { action: 'add', title: 'from a notification' } }),
      note('ping'),
      { jsonrpc: '2.0', id: 77, result: {} }, // a response to a request we never sent
      { jsonrpc: '2.0', id: 78, error: { code: -1, message: 'x' } },
      req('after', 'ping'),
    );
    await raw.response('after');
    // Give any stray replies time to show up.
    await sleep(150);
    const got = raw.messages.slice(before);
    assert.deepEqual(got, [{ jsonrpc: '2.0', id: 'after', result: {} }], `only the ping is answered, got ${JSON.stringify(got)}`);
    // A tools/call sent as a notification is not answered; it must not be
    // run either (a notification cannot report its result).
    const list = await raw.request('list', 'tools/call', { name: 'todo_action', arguments: { action: 'list' } });
    assert.equal(list.result.structuredContent.total_count, 0, 'a tools/call notification must not execute');
  });
});

test('framing: CRLF lines, blank lines, several messages in one write, one message split across writes', async (t) => {
  await withRaw(t, async (raw) => {
    await raw.write(JSON.stringify(req(1, 'initialize', init('2025-11-25'))) + '\r\n');
    assert.equal((await raw.response(1)).result.protocolVersion, '2025-11-25');
    await raw.write('\r\n\n   \n' + JSON.stringify(req(2, 'ping')) + '\r\n' + JSON.stringify(req(3, 'tools/list')) + '\r\n');
    assert.deepEqual((await raw.response(2)).result, {});
    assert.deepEqual((await raw.response(3)).result.tools.map((x) => x.name), TOOL_NAMES);

    // 20 messages in a single write.
    const many = Array.from({ length: 20 }, (_, i) => req(100 + i, i % 2 ? 'ping' : 'tools/list'));
    await raw.send(...many);
    for (let i = 0; i < 20; i++) assert.ok((await raw.response(100 + i)).result);

    // One message written in two halves with a pause, then byte by byte.
    const line = Buffer.from(JSON.stringify(req('split', 'tools/call', { name: 'todo_action', arguments: { action: 'add', title: 'split ✓ across writes' } })) + '\n');
    const half = Math.floor(line.length / 2) + 1; // likely inside the ✓'s UTF-8 bytes or nearby
    await raw.write(line.subarray(0, half));
    await sleep(100);
    assert.deepEqual(raw.responsesFor('split'), [], 'no reply before the line is complete');
    await raw.write(line.subarray(half));
    const r = await raw.response('split');
    assert.equal(r.result.structuredContent.title, 'split ✓ across writes');

    const small = Buffer.from(JSON.stringify(req('bytes', 'ping')) + '\n');
    for (const b of small) await raw.write(Buffer.from([b]));
    assert.deepEqual((await raw.response('bytes')).result, {});

    // The tail of one message and the head of the next in the same write.
    const a = JSON.stringify(req('a', 'ping')) + '\n', b = JSON.stringify(req('b', 'ping')) + '\n';
    await raw.write(a.slice(0, 10));
    await sleep(20);
    await raw.write(a.slice(10) + b.slice(0, 15));
    await sleep(20);
    await raw.write(b.slice(15));
    await raw.response('a');
    await raw.response('b');
  });
});

test('a final line without newline before EOF is still answered', async (t) => {
  const sb = sandbox(t);
  const raw = spawnRaw(sb);
  try {
    await raw.write(JSON.stringify(req(1, 'ping')));
    raw.end();
    const r = await raw.response(1);
    assert.deepEqual(r.result, {});
    await raw.closeClean();
  } finally {
    raw.kill();
  }
});

test('a message over 16 MiB is read and answered', async (t) => {
  await withRaw(t, async (raw) => {
    await raw.initialize();
    const huge = 'x'.repeat(17 * 1024 * 1024);
    const msg = JSON.stringify(req('big', 'tools/call', { name: 'todo_action', arguments: { action: 'add', title: 'big one', description: huge } })) + '\n';
    assert.ok(Buffer.byteLength(msg) > 16 * 1024 * 1024);
    const t0 = performance.now();
    await raw.write(msg);
    const r = await raw.response('big', 30000);
    console.log(`# ${(Buffer.byteLength(msg) / 1048576).toFixed(1)} MiB request answered in ${(performance.now() - t0).toFixed(0)} ms`);
    assert.equal(r.result.isError, true);
    assert.match(r.result.structuredContent.error, /description.*too long/);
    // Still healthy, and nothing was stored.
    const list = await raw.request('list', 'tools/call', { name: 'todo_action', arguments: { action: 'list' } });
    assert.equal(list.result.structuredContent.total_count, 0);
  });
});

test('a message over max_message_mb is rejected with -32600 and the stream recovers', async (t) => {
  await withRaw(
    t,
    async (raw) => {
      await raw.initialize();
      const tooBig = JSON.stringify(req('toobig', 'ping', { pad: 'y'.repeat(17 * 1024 * 1024) })) + '\n';
      await raw.send(req('before', 'ping'));
      await raw.write(tooBig);
      await raw.send(req('after', 'ping'));
      await raw.response('after', 30000);
      const errs = raw.messages.filter((m) => m.error && m.id === null);
      assert.equal(errs.length, 1, `one error for the oversized message: ${JSON.stringify(errs)}`);
      assert.equal(errs[0].error.code, -32600);
      assert.match(errs[0].error.message, /too large/);
      assert.deepEqual(raw.responsesFor('toobig'), []);
    },
    { env: { LTMC_MAX_MESSAGE_MB: '16' } },
  );
});

test('stdin EOF: exit code 0, promptly', async (t) => {
  const times = [];
  for (let i = 0; i < 3; i++) {
    const sb = sandbox(t);
    const raw = spawnRaw(sb);
    try {
      await raw.initialize();
      await raw.request(1, 'tools/call', { name: 'todo_action', arguments: { action: 'add', title: 'x' } });
      const { ms } = await raw.closeClean();
      times.push(ms);
    } finally {
      raw.kill();
    }
  }
  console.log(`# exit after stdin EOF: ${times.map((x) => x.toFixed(1)).join(', ')} ms (ASan build)`);
  for (const ms of times) assert.ok(ms < 500, `exit took ${ms} ms after stdin EOF`);
});

test('stdin EOF with requests still queued: they are answered before exit', async (t) => {
  const sb = sandbox(t);
  const raw = spawnRaw(sb);
  try {
    const msgs = [req('i', 'initialize', init('2025-11-25'))];
    for (let i = 0; i < 30; i++) msgs.push(req(i, 'tools/call', { name: 'todo_action', arguments: { action: 'add', title: `t${i}` } }));
    await raw.send(...msgs);
    raw.end();
    await raw.closeClean();
    for (let i = 0; i < 30; i++) assert.equal(raw.responsesFor(i).length, 1, `response for ${i}`);
  } finally {
    raw.kill();
  }
});

test('SIGTERM stops the server cleanly', async (t) => {
  const sb = sandbox(t);
  const raw = spawnRaw(sb);
  try {
    await raw.initialize();
    raw.child.kill('SIGTERM');
    const info = await raw.exited;
    assert.equal(info.code, 0, `stderr:\n${raw.stderr}`);
    assert.doesNotMatch(raw.stderr, /Sanitizer|runtime error:/);
  } finally {
    raw.kill();
  }
});

test('SIGTERM during a burst: every call read finishes and is answered, nothing else is written', async (t) => {
  const sb = sandbox(t);
  const raw = spawnRaw(sb);
  try {
    await raw.initialize();
    const msgs = [];
    for (let i = 0; i < 100; i++) msgs.push(req(i, 'tools/call', { name: 'todo_action', arguments: { action: 'add', title: `burst ${i}` } }));
    await raw.send(...msgs);
    await raw.response(3, 10000); // calls are running: the signal lands mid-burst
    raw.child.kill('SIGTERM');
    const info = await raw.exited;
    assert.equal(info.code, 0, `stderr:\n${raw.stderr}`);
    assert.doesNotMatch(raw.stderr, /Sanitizer|runtime error:/);
    const answered = raw.messages.filter((m) => Number.isInteger(m.id));
    for (const m of answered) assert.ok(m.result && !m.result.isError, `call ${m.id} answered with a result`);
    const ids = answered.map((m) => m.id);
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => i), 'a prefix of the burst, in order');
    await withRaw(t, async (check) => {
      await check.initialize();
      await check.send(req('l', 'tools/call', { name: 'todo_action', arguments: { action: 'list', limit: 200 } }));
      const list = (await check.response('l')).result.structuredContent;
      assert.equal(list.total_count, ids.length, 'exactly the answered calls were written');
    }, { sandbox: sb });
  } finally {
    raw.kill();
  }
});

test('client stops reading stdout: the server notices the broken pipe and exits', async (t) => {
  const sb = sandbox(t);
  const raw = spawnRaw(sb);
  try {
    await raw.initialize();
    raw.child.stdout.destroy();
    await sleep(20);
    for (let i = 0; i < 5 && !raw.exitInfo; i++) {
      await raw.send(req(i, 'tools/list')).catch(() => {});
      await sleep(20);
    }
    const info = await Promise.race([raw.exited, sleep(5000).then(() => null)]);
    assert.ok(info, 'the server must not keep running with nobody to answer');
    assert.equal(info.signal, null, 'no SIGPIPE death');
    assert.doesNotMatch(raw.stderr, /Sanitizer|runtime error:/);
    assert.match(raw.stderr, /stdout/i);
  } finally {
    raw.kill();
  }
});

test('cancellation: a cancelled request gets no response and is not run', async (t) => {
  await withRaw(t, async (raw) => {
    await raw.initialize();
    // Writes ahead of the victim keep the worker busy, so the cancel
    // (handled on the reader thread) lands before the victim is started.
    const AHEAD = 30;
    const msgs = [];
    for (let i = 0; i < AHEAD; i++) msgs.push(req(`w${i}`, 'tools/call', { name: 'todo_action', arguments: { action: 'add', title: `work ${i}` } }));
    msgs.push(req('victim', 'tools/call', { name: 'todo_action', arguments: { action: 'add', title: 'cancelled one' } }));
    msgs.push(note('notifications/cancelled', { requestId: 'victim', reason: 'user gave up' }));
    msgs.push(req('p', 'ping'));
    msgs.push(req('after', 'tools/call', { name: 'todo_action', arguments: { action: 'list', limit: 100 } }));
    await raw.send(...msgs);
    await raw.response('p');
    const after = await raw.response('after');
    for (let i = 0; i < AHEAD; i++) assert.ok(raw.responsesFor(`w${i}`)[0].result, `w${i} answered`);
    // Requests are answered in order on the worker, so 'after' coming back
    // means the victim has been dealt with.
    await sleep(100);
    assert.deepEqual(raw.responsesFor('victim'), [], 'the cancelled request must get no response');
    const titles = after.result.structuredContent.todos.map((x) => x.title);
    assert.ok(!titles.includes('cancelled one'), `the cancelled add must not run: ${titles}`);
    assert.equal(after.result.structuredContent.total_count, AHEAD);

    // Cancelling with the wrong id type ("9" vs 9) must not cancel request 9.
    await raw.send(
      req('w', 'tools/call', { name: 'todo_action', arguments: { action: 'add', title: 'busy' } }),
      req(9, 'tools/call', { name: 'todo_action', arguments: { action: 'list' } }),
      note('notifications/cancelled', { requestId: '9' }),
    );
    assert.ok((await raw.response(9)).result);
    // initialize cannot be cancelled.
    await raw.send(req('init2', 'initialize', init('2025-06-18')), note('notifications/cancelled', { requestId: 'init2' }));
    assert.ok((await raw.response('init2')).result);
  });
});

test('ping is answered on the reader while the worker is busy; requests are answered in order', async (t) => {
  await withRaw(t, async (raw) => {
    await raw.initialize();
    const msgs = [];
    for (let i = 0; i < 200; i++) msgs.push(req(i, 'tools/call', { name: 'todo_action', arguments: { action: 'add', title: `n${i}` } }));
    msgs.push(req('ping', 'ping'));
    await raw.send(...msgs);
    await raw.response(199, 30000);
    const idx = (id) => raw.messages.findIndex((m) => m.id === id);
    assert.ok(idx('ping') < idx(199), 'the ping must not wait behind 200 queued tool calls');
    const order = raw.messages.filter((m) => Number.isInteger(m.id)).map((m) => m.id);
    assert.deepEqual(order, Array.from({ length: 200 }, (_, i) => i), 'worker requests are answered in order');
    const ids = raw.messages.filter((m) => Number.isInteger(m.id)).map((m) => m.result.structuredContent.todo_id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'and executed in order');
  });
});

test('requests before initialize are answered (no ordering enforced)', async (t) => {
  await withRaw(t, async (raw) => {
    const r = await raw.request(1, 'tools/list', {});
    assert.deepEqual(r.result.tools.map((x) => x.name), TOOL_NAMES);
    assert.deepEqual((await raw.request(2, 'ping')).result, {});
  });
});
