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

// Memories: each process keeps its own in-memory vector index and must
// follow the other's writes (stores, deletes) through the database.
const TOPICS = [
  ['We adopted a puppy from the shelter last weekend and named him Biscuit.', 'got a young dog from an animal rescue'],
  ["Grandma's lasagna recipe needs ricotta, spinach and fresh basil.", 'cooking pasta with cheese'],
  ['My flight to Denver was delayed three hours because of a snowstorm.', 'airplane trip postponed by bad weather'],
  ['I started learning to play the guitar with online lessons.', 'practicing music on an instrument'],
  ['The car engine made a grinding noise so I took it to the mechanic.', 'automobile repair garage'],
  ['The dentist said my tooth needs a filling next month.', 'cavity treatment appointment'],
];
const STORES_EACH = 200;

test(`two processes x ${STORES_EACH} memory stores interleaved with retrieves: each finds the other's memories, exact counts`, async (t) => {
  const sb = sandbox(t);
  const procs = [await connect(sb, { clientName: 'mem-A' }), await connect(sb, { clientName: 'mem-B' })];
  const names = ['A', 'B'];
  const mem = (s, args) => callTool(s.client, 'memory_action', args);
  try {
    // Both processes load their (empty) index before the other writes anything.
    for (const s of procs) assert.equal((await mem(s, { action: 'retrieve', query: 'anything' })).total_found, 0);
    const started = performance.now();
    const probes = []; // [doc_id, topic index, writer]
    const errors = [];
    const run = async (p) => {
      const me = procs[p], other = procs[1 - p];
      for (let i = 0; i < STORES_EACH; i++) {
        // Filler: ledger lines, far in meaning from every probe topic; a unique code per memory.
        const code = `${names[p].toLowerCase()}code${String(i).padStart(4, '0')}`;
        const r = await mem(me, { action: 'store', file_name: `${names[p]}-${i}`, content: `Ledger line ${i} of writer ${names[p]}: item ${code}, quantity ${i % 7}.`, tags: [names[p]] });
        assert.equal(r.duplicate, false);
        if (i % 25 === 12) {
          // The other process finds this memory by its unique word at once.
          const seen = await mem(other, { action: 'retrieve', query: code, top_k: 1 });
          assert.equal(seen.documents[0]?.doc_id, r.doc_id, `${names[1 - p]} finds ${code} stored by ${names[p]}`);
        }
        if (i % 40 === 20 && probes.length < TOPICS.length) {
          // A probe topic stored here is found by meaning (no shared word) by the other process.
          const topic = probes.length;
          probes.push(null);
          const pr = await mem(me, { action: 'store', file_name: `probe-${topic}`, content: TOPICS[topic][0], tags: ['probe'] });
          probes[topic] = [pr.doc_id, topic, p];
          const found = await mem(other, { action: 'retrieve', query: TOPICS[topic][1], top_k: 3 });
          const best = found.documents[0];
          assert.equal(best?.doc_id, pr.doc_id, `${names[1 - p]} finds ${names[p]}'s probe "${TOPICS[topic][0]}" by meaning; got ${JSON.stringify(found.documents.map((d) => d.file_name))}`);
          assert.equal(best.lexical_score, 0, 'by meaning alone: the vector index has the other process\'s row');
        }
        if (i % 10 === 5) await mem(me, { action: 'retrieve', query: `ledger quantity ${i}`, top_k: 5 });
      }
    };
    const results = await Promise.allSettled([run(0), run(1)]);
    for (const r of results) if (r.status === 'rejected') errors.push(r.reason);
    if (errors.length) throw errors[0];
    const ms = performance.now() - started;
    console.log(`# ${2 * STORES_EACH} stores and their retrieves from 2 processes in ${ms.toFixed(0)} ms (ASan build)`);

    const total = 2 * STORES_EACH + probes.length;
    assert.equal(probes.length, TOPICS.length);
    for (const s of procs) {
      assert.equal((await mem(s, { action: 'list', limit: 1 })).total_count, total, 'every process counts every memory');
      for (const n of names) assert.equal((await mem(s, { action: 'list', tags: [n], limit: 1 })).total_count, STORES_EACH);
      // Every probe is found by meaning from each process.
      for (const [id, topic] of probes) {
        const r = await mem(s, { action: 'retrieve', query: TOPICS[topic][1], top_k: 1 });
        assert.equal(r.documents[0].doc_id, id);
      }
    }
    // Every memory exactly once, by its unique code, from either process.
    for (let i = 0; i < STORES_EACH; i += 37) {
      for (const [p, n] of names.entries()) {
        const code = `${n.toLowerCase()}code${String(i).padStart(4, '0')}`;
        const r = await mem(procs[1 - p], { action: 'retrieve', query: code, top_k: 3 });
        assert.equal(r.documents[0].file_name, `${n}-${i}`);
        assert.equal(r.documents[0].lexical_score, 1);
        assert.ok(r.documents.slice(1).every((d) => d.lexical_score < 1), 'no copy');
      }
    }

    // A delete in one process is honoured by the other's next retrieve, by meaning and by words.
    const [victim, topic, writer] = probes[0];
    const deleter = procs[1 - writer], reader = procs[writer];
    await mem(deleter, { action: 'delete', doc_id: victim });
    for (const q of [TOPICS[topic][1], TOPICS[topic][0], 'Biscuit']) {
      const r = await mem(reader, { action: 'retrieve', query: q, top_k: 100 });
      assert.ok(!r.documents.some((d) => d.doc_id === victim), `deleted memory returned for "${q}"`);
    }
    const gone = await callTool(reader.client, 'memory_action', { action: 'get', doc_id: victim }, { expectError: true });
    assert.equal(gone.error, `Memory with ID ${victim} not found`);
    // An update in one process changes what the other finds.
    const [upd, updTopic] = probes[1];
    await mem(procs[0], { action: 'update', doc_id: upd, content: 'The bicycle chain snapped halfway up the hill.' });
    assert.equal((await mem(procs[1], { action: 'retrieve', query: 'cycling accident on a slope', top_k: 1 })).documents[0].doc_id, upd);
    assert.notEqual((await mem(procs[1], { action: 'retrieve', query: TOPICS[updTopic][1], top_k: 1 })).documents[0].doc_id, upd);
    for (const s of procs) assert.equal((await mem(s, { action: 'list', limit: 1 })).total_count, total - 1);
  } finally {
    await closeAllClean(...procs);
  }
});

test('retrieves in one process stay correct while another deletes the memories they match', async (t) => {
  const sb = sandbox(t);
  const a = await connect(sb, { clientName: 'reader' });
  const b = await connect(sb, { clientName: 'deleter' });
  const mem = (s, args) => callTool(s.client, 'memory_action', args);
  let deleting = true;
  let deletes;
  try {
    const documents = Array.from({ length: 250 }, (_, i) => ({ file_name: `n${i}`, content: `Shared harbour logbook entry ${i}: boats, tides and weather.` }));
    const stored = await mem(a, { action: 'bulk_store', documents });
    const victims = stored.documents.map((d) => d.doc_id);
    await mem(a, { action: 'retrieve', query: 'harbour logbook' }); // a has loaded every row
    deletes = (async () => {
      try {
        for (const id of victims.slice(0, 220)) if (deleting) await mem(b, { action: 'delete', doc_id: id });
      } finally {
        deleting = false;
      }
    })();
    // Every search that may meet a memory deleted after it was ranked; none may fail.
    let rounds = 0;
    const queries = ['harbour logbook tides', 'boats and weather', 'sea voyage records'];
    while (deleting) {
      const query = queries[rounds % 3];
      for (const action of ['retrieve', 'ask_with_context', 'build_context', 'retrieve_by_type']) {
        const r = await mem(a, { action, query, top_k: 20, ...(action === 'retrieve_by_type' ? { doc_type: 'document' } : {}) });
        const docs = r.documents ?? r.retrieved_chunks ?? r.parts;
        if (r.documents) assert.deepEqual(r.documents.map((d) => d.rank), r.documents.map((_, i) => i + 1), 'ranks stay 1..n');
        assert.ok(docs.length > 0);
      }
      await callTool(a.client, 'chat_action', { action: 'route_query', query, top_k: 20 });
      rounds++;
    }
    await deletes;
    assert.ok(rounds >= 3, `only ${rounds} rounds overlapped the deletes`);
    const after = await mem(a, { action: 'retrieve', query: 'harbour logbook tides', top_k: 100 });
    assert.deepEqual(after.documents.map((d) => d.doc_id).sort((x, y) => x - y), victims.slice(220));
    assert.equal((await mem(a, { action: 'list', limit: 1 })).total_count, 30);
  } finally {
    deleting = false;
    await deletes?.catch(() => {});
    await closeAllClean(a, b);
  }
});
