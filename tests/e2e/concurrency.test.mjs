// Several `ltmc serve` processes on one database, as when several agent
// sessions share a machine: no lost writes, no errors, and each process
// sees the others' writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { callTool, chat, closeAllClean, closeClean, connect, sandbox, todo } from './helpers.mjs';

const PROCESSES = 4;
const ADDS_EACH = 500;

test(`${PROCESSES} processes x ${ADDS_EACH} concurrent adds -> exactly ${PROCESSES * ADDS_EACH} rows, no errors`, async (t) => {
  const sb = sandbox(t);
  const sessions = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => connect(sb, { clientName: `writer-${i}` })));
  try {
    await Promise.all(sessions.map((s) => s.client.listTools())); // results validated against outputSchema
    const started = performance.now();
    const results = await Promise.all(
      sessions.map((s, p) =>
        Promise.all(
          Array.from({ length: ADDS_EACH }, (_, i) =>
            s.client
              .callTool({ name: 'todo_action', arguments: { action: 'add', title: `p${p}-t${i}`, priority: ['low', 'medium', 'high', 'urgent'][i % 4] } }, undefined, { timeout: 120000 })
              .then((r) => ({ ok: !r.isError, r }), (e) => ({ ok: false, e })),
          ),
        ),
      ),
    );
    const ms = performance.now() - started;
    const flat = results.flat();
    const failures = flat.filter((x) => !x.ok);
    console.log(`# ${flat.length} adds from ${PROCESSES} processes in ${ms.toFixed(0)} ms (${(flat.length / (ms / 1000)).toFixed(0)}/s, ASan build)`);
    assert.equal(failures.length, 0, `failed adds: ${JSON.stringify(failures.slice(0, 3).map((f) => f.e?.message ?? f.r?.structuredContent))}`);

    const ids = flat.map((x) => x.r.structuredContent.todo_id);
    assert.equal(new Set(ids).size, PROCESSES * ADDS_EACH, 'every add got its own id');

    for (const s of sessions) {
      const list = await todo(s.client, { action: 'list', limit: 1 });
      assert.equal(list.total_count, PROCESSES * ADDS_EACH, 'every process counts every row');
    }
    // Every title is there exactly once.
    const seen = new Set();
    for (let offset = 0; ; offset += 1000) {
      const page = await todo(sessions[0].client, { action: 'list', limit: 1000, offset });
      for (const x of page.todos) {
        assert.ok(!seen.has(x.title), `duplicate ${x.title}`);
        seen.add(x.title);
      }
      if (!page.has_more) break;
    }
    assert.equal(seen.size, PROCESSES * ADDS_EACH);
    for (let p = 0; p < PROCESSES; p++) for (let i = 0; i < ADDS_EACH; i += 97) assert.ok(seen.has(`p${p}-t${i}`));
  } finally {
    await closeAllClean(...sessions);
  }
});

test('two processes interleaving writes and reads see each other immediately', async (t) => {
  const sb = sandbox(t);
  const a = await connect(sb, { clientName: 'A' });
  const b = await connect(sb, { clientName: 'B' });
  try {
    for (let round = 0; round < 10; round++) {
      const fromA = await todo(a.client, { action: 'add', title: `A-${round}` });
      const seenByB = await todo(b.client, { action: 'search', query: `A-${round}` });
      assert.deepEqual(seenByB.todos.map((x) => x.todo_id), [fromA.todo_id], `B sees A's write in round ${round}`);

      const doneByB = await todo(b.client, { action: 'complete', todo_id: fromA.todo_id });
      assert.equal(doneByB.already_completed, false);
      const again = await todo(a.client, { action: 'complete', todo_id: fromA.todo_id });
      assert.equal(again.already_completed, true, 'A sees that B completed it');

      const fromB = await chat(b.client, { action: 'log', conversation_id: 'shared', role: 'assistant', content: `B-${round}` });
      const conv = await chat(a.client, { action: 'get_conversation', conversation_id: 'shared', limit: 100 });
      assert.equal(conv.total_count, round + 1);
      assert.equal(conv.messages.at(-1).chat_id, fromB.chat_id);
    }
    // Concurrent mixed traffic from both at once.
    await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => todo(a.client, { action: 'add', title: `mix-a-${i}` })),
      ...Array.from({ length: 50 }, (_, i) => todo(b.client, { action: 'add', title: `mix-b-${i}` })),
      ...Array.from({ length: 20 }, () => todo(a.client, { action: 'list', limit: 5 })),
      ...Array.from({ length: 20 }, () => callTool(b.client, 'config_action', { action: 'validate_config' })),
    ]);
    const total = (await todo(b.client, { action: 'list' })).total_count;
    assert.equal(total, 10 + 100);
    assert.equal((await todo(a.client, { action: 'search', query: 'mix-b', limit: 100 })).total_found, 50);
    // A delete in one process is seen by the other.
    const victim = (await todo(a.client, { action: 'search', query: 'mix-a-7' })).todos[0];
    await todo(b.client, { action: 'delete', todo_id: victim.todo_id });
    const gone = await todo(a.client, { action: 'update', todo_id: victim.todo_id, title: 'x' }, { expectError: true });
    assert.equal(gone.error, `Todo with ID ${victim.todo_id} not found`);
  } finally {
    await closeAllClean(a, b);
  }
});

test('a process started on a database another process is writing to joins cleanly', async (t) => {
  const sb = sandbox(t);
  const first = await connect(sb);
  try {
    const writes = Array.from({ length: 200 }, (_, i) => todo(first.client, { action: 'add', title: `w${i}` }));
    // Start a second server (opening, migrating) in the middle of the writes.
    const second = await connect(sb);
    try {
      await Promise.all(writes);
      assert.equal((await todo(second.client, { action: 'list' })).total_count, 200);
    } finally {
      await closeClean(second);
    }
  } finally {
    await closeClean(first);
  }
});
