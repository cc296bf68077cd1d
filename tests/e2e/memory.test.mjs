// memory_action through the official SDK client: every action with good and
// bad input, its result keys, and what retrieval finds (by meaning with the
// GloVe embedder, by words and identifiers, with filters, within a token
// budget), changes and deletions, paging, bulk imports and projects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeClean, connect, memory, sandbox, withClient } from './helpers.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const err = async (c, args) => (await memory(c, args, { expectError: true })).error;
const keys = (o) => Object.keys(o).sort();
const store = (c, file_name, content, extra = {}) => memory(c, { action: 'store', file_name, content, ...extra });
const retrieve = (c, query, extra = {}) => memory(c, { action: 'retrieve', query, ...extra });
const ids = (docs) => docs.map((d) => d.doc_id);

const RETRIEVED_DOC_KEYS = ['conversation_id', 'content', 'created_at', 'doc_id', 'file_name', 'lexical_score', 'metadata',
  'rank', 'resource_type', 'score', 'similarity_score', 'tags'].sort();

/** Checks the shape every retrieve-like result shares and returns its documents. */
function checkRanked(r, { topK, what = 'retrieve' } = {}) {
  const docs = r.documents;
  assert.ok(Array.isArray(docs), `${what}: documents`);
  assert.equal(r.total_found, docs.length, `${what}: total_found`);
  if (topK !== undefined) assert.ok(docs.length <= topK, `${what}: at most top_k results`);
  assert.deepEqual(docs.map((d) => d.rank), docs.map((_, i) => i + 1), `${what}: ranks 1..n`);
  for (const d of docs) {
    assert.deepEqual(keys(d).filter((k) => k !== 'truncated'), RETRIEVED_DOC_KEYS, `${what}: keys of a document`);
    for (const s of ['score', 'lexical_score'])
      assert.ok(typeof d[s] === 'number' && d[s] >= 0 && d[s] <= 1, `${what}: ${s} ${d[s]} in [0, 1]`);
    // A cosine against int8-quantised rows: within about 0.003 of [-1, 1].
    assert.ok(d.similarity_score >= -1.01 && d.similarity_score <= 1.01, `${what}: similarity_score ${d.similarity_score} is a cosine`);
    assert.match(d.created_at, ISO);
  }
  for (let i = 1; i < docs.length; i++)
    assert.ok(docs[i - 1].score >= docs[i].score, `${what}: sorted by score (${docs[i - 1].score} before ${docs[i].score})`);
  assert.equal(new Set(ids(docs)).size, docs.length, `${what}: each memory once`);
  return docs;
}

// Everyday memories, and questions about them that share no word with any
// memory: only similarity of meaning (GloVe) can rank the right one first.
const EVERYDAY = [
  ['pets', 'We adopted a puppy from the shelter last weekend and named him Biscuit.'],
  ['budget', 'The quarterly budget review meeting was moved to the afternoon.'],
  ['recipe', "Grandma's lasagna recipe needs ricotta, spinach and fresh basil."],
  ['travel', 'My flight to Denver was delayed three hours because of a snowstorm.'],
  ['car', 'The car engine made a grinding noise so I took it to the mechanic.'],
  ['guitar', 'I started learning to play the guitar with online lessons.'],
  ['garden', 'Tomatoes and peppers are growing well in the backyard vegetable patch.'],
  ['doctor', 'The dentist said my tooth needs a filling next month.'],
];
const PARAPHRASES = [
  ['got a young dog from an animal rescue', 'pets'],
  ['cooking pasta with cheese', 'recipe'],
  ['airplane trip postponed by bad weather', 'travel'],
  ['automobile repair garage', 'car'],
  ['practicing music on an instrument', 'guitar'],
  ['finance spending plan discussion', 'budget'],
  ['harvesting homegrown produce', 'garden'],
  ['cavity treatment appointment', 'doctor'],
];

test('store: result keys, defaults, identical content returns the same id, near-duplicates are reported', async (t) => {
  await withClient(t, async (c) => {
    const text = 'We adopted a puppy from the shelter last weekend and named him Biscuit.';
    const a = await store(c, 'puppy.md', text);
    assert.deepEqual(keys(a), ['chunk_count', 'conversation_id', 'created_at', 'doc_id', 'duplicate', 'embedding_model', 'file_name',
      'message', 'near_duplicates', 'project', 'resource_type', 'success', 'tags', 'vector_count']);
    assert.ok(Number.isInteger(a.doc_id) && a.doc_id >= 1);
    assert.equal(a.duplicate, false);
    assert.equal(a.chunk_count, 1);
    assert.equal(a.vector_count, 1);
    assert.match(a.embedding_model, /^glove-100d/, 'the e2e runs use the GloVe embedder');
    assert.match(a.created_at, ISO);
    assert.ok(Math.abs(Date.parse(a.created_at) - Date.now()) < 60000, 'created_at defaults to now');
    assert.deepEqual(a.near_duplicates, []);
    assert.equal(a.resource_type, 'document');
    assert.equal(a.conversation_id, 'default');
    assert.equal(a.project, 'default');
    assert.deepEqual(a.tags, []);
    assert.equal(a.file_name, 'puppy.md');

    // Identical content: the same memory, nothing new stored; the first name stays.
    const again = await store(c, 'copy.md', text, { resource_type: 'note' });
    assert.equal(again.doc_id, a.doc_id);
    assert.equal(again.duplicate, true);
    assert.match(again.message, /already stored/);
    const got = await memory(c, { action: 'get', doc_id: a.doc_id });
    assert.equal(got.file_name, 'puppy.md');
    assert.equal(got.resource_type, 'document');
    assert.equal((await memory(c, { action: 'list' })).total_count, 1);

    // Near-identical text: a new memory that names the one it nearly repeats.
    const near = await store(c, 'puppy2.md', text.replace('weekend', 'Saturday')); // one word changed
    assert.notEqual(near.doc_id, a.doc_id);
    assert.equal(near.duplicate, false);
    assert.equal(near.near_duplicates.length, 1, JSON.stringify(near.near_duplicates));
    const [nd] = near.near_duplicates;
    assert.deepEqual(keys(nd), ['doc_id', 'file_name', 'similarity']);
    assert.equal(nd.doc_id, a.doc_id);
    assert.equal(nd.file_name, 'puppy.md');
    assert.ok(nd.similarity >= 0.95 && nd.similarity <= 1.01, `similarity ${nd.similarity}`);
    // An unrelated text is nobody's near-duplicate.
    const other = await store(c, 'tax.md', 'Quarterly tax forms are due before the fifteenth; the accountant has the receipts.');
    assert.deepEqual(other.near_duplicates, []);

    // Every field given, and read back by get.
    const full = await store(c, 'decision-42', 'We chose SQLite with WAL for the local store.', {
      resource_type: 'decision', tags: ['storage', 'adr'], conversation_id: 'conv-9',
      metadata: { author: 'ana', refs: [1, 2], nested: { ok: true } }, created_at: '2024-02-29T12:00:00+02:00',
    });
    assert.equal(full.created_at, '2024-02-29T10:00:00.000Z', 'created_at normalised to UTC');
    assert.deepEqual(full.tags, ['storage', 'adr']);
    const g = await memory(c, { action: 'get', doc_id: full.doc_id });
    assert.deepEqual(keys(g), ['content', 'conversation_id', 'created_at', 'doc_id', 'file_name', 'metadata', 'resource_type', 'success',
      'tags', 'updated_at']);
    assert.deepEqual({ ...g, updated_at: 'x' }, {
      success: true, doc_id: full.doc_id, file_name: 'decision-42', content: 'We chose SQLite with WAL for the local store.',
      resource_type: 'decision', conversation_id: 'conv-9', tags: ['adr', 'storage'],
      metadata: { author: 'ana', refs: [1, 2], nested: { ok: true } }, created_at: '2024-02-29T10:00:00.000Z', updated_at: 'x',
    });
    assert.match(g.updated_at, ISO);
    // Tags as a comma-separated string, as the original accepted.
    const csv = await store(c, 'csv', 'Tags given as one string.', { tags: ' alpha, beta ,,gamma' });
    assert.deepEqual(csv.tags, ['alpha', 'beta', 'gamma']);

    // A long text is split into chunks, and round-trips exactly (unicode too).
    const long = Array.from({ length: 40 }, (_, i) => `Sentence ${i} of the long note, with ü, 日本 and 🚀 inside.`).join(' ');
    const l = await store(c, 'long', long);
    assert.ok(l.chunk_count >= 3, `chunk_count ${l.chunk_count} for ${Buffer.byteLength(long)} bytes`);
    assert.equal(l.vector_count, l.chunk_count);
    assert.equal((await memory(c, { action: 'get', doc_id: l.doc_id })).content, long);

    // The same text in another project is not a duplicate.
    const elsewhere = await store(c, 'puppy.md', text, { project: 'other' });
    assert.equal(elsewhere.duplicate, false);
    assert.notEqual(elsewhere.doc_id, a.doc_id);
    assert.deepEqual(elsewhere.near_duplicates, [], 'near-duplicates come from the same project only');
  });
});

test('near-duplicates: two unrelated chatty messages are not, a lightly edited copy is', async (t) => {
  // With GloVe the raw cosine of any two long conversational texts is high
  // (these two: 0.97), so near-duplicates are measured with the embedder's
  // common direction taken out.
  const A = 'Hey Jo! How have you been? I finally went to that pottery class I told you about, and it was so much fun. ' +
    'I made a little bowl, it is a bit wobbly but I love it. My kids thought it was hilarious when I came home covered ' +
    'in clay. How about you, did you get to relax this weekend? I remember you said work had been crazy lately. ' +
    'Oh, and thanks again for the book recommendation, I started reading it last night and could not put it down. ' +
    'Let me know when you are free for coffee, I would love to catch up properly and hear about your trip plans.';
  const B = "Hi Mel! I'm doing great, thanks for asking. This week I joined a local running group and we did our first " +
    '5k together on Saturday morning. It was tough but everyone was really supportive and we got breakfast after. ' +
    "I've also been trying to cook more at home, I made a spicy lentil soup that turned out better than expected. " +
    "Things at the office are finally calming down, so I'm planning a short trip to the mountains next month. " +
    'Would you want to come along? It would be nice to hike, unplug for a few days and just enjoy the fresh air.';
  await withClient(t, async (c) => {
    const a = await store(c, 'a.md', A);
    const b = await store(c, 'b.md', B);
    assert.deepEqual(b.near_duplicates, [], JSON.stringify(b.near_duplicates));
    const edited = await store(c, 'a2.md', A.replace('pottery', 'ceramics').replace('coffee', 'tea'));
    assert.equal(edited.near_duplicates.length, 1, JSON.stringify(edited.near_duplicates));
    assert.equal(edited.near_duplicates[0].doc_id, a.doc_id);
    assert.ok(edited.near_duplicates[0].similarity >= 0.95 && edited.near_duplicates[0].similarity <= 1.01);
  });
});

test('bad input is an isError result that names the problem, and stores nothing', async (t) => {
  await withClient(t, async (c) => {
    const ok = await store(c, 'keep', 'A memory that stays.');
    // Content limit: max_memory_bytes (1 MiB by default; 2048 here), counted in bytes.
    assert.equal(await err(c, { action: 'store', file_name: 'big', content: 'x'.repeat(2049) }),
      "Parameter 'content' is too long: 2049 bytes (limit 2048)");
    assert.equal(await err(c, { action: 'store', file_name: 'big', content: 'é'.repeat(1025) }),
      "Parameter 'content' is too long: 2050 bytes (limit 2048)", 'the limit counts bytes, not characters');
    const atLimit = await store(c, 'at-limit', 'y'.repeat(2048));
    assert.equal(atLimit.duplicate, false);
    assert.equal(await err(c, { action: 'update', doc_id: ok.doc_id, content: 'z'.repeat(4000) }),
      "Parameter 'content' is too long: 4000 bytes (limit 2048)");

    assert.equal(await err(c, { action: 'store', file_name: 'e', content: '' }), "Parameter 'content' must not be empty");
    assert.equal(await err(c, { action: 'store', file_name: 'e', content: ' \n\t ' }), "Parameter 'content' must not be empty");
    assert.equal(await err(c, { action: 'store', file_name: 'e' }), 'Missing required parameter: content');
    assert.equal(await err(c, { action: 'store', content: 'no name' }), 'Missing required parameter: file_name');
    assert.match(await err(c, { action: 'store', file_name: 'e', content: 42 }), /^Invalid type for parameter 'content': expected string, got integer$/);
    assert.match(await err(c, { action: 'store', file_name: 'e', content: 'x', created_at: 'yesterday' }),
      /^Invalid value for parameter 'created_at': 'yesterday' \(expected an ISO-8601 date or time/);
    assert.match(await err(c, { action: 'store', file_name: 'e', content: 'x', created_at: '2024-13-45' }), /'created_at'/);
    assert.match(await err(c, { action: 'store', file_name: 'e', content: 'x', metadata: [1] }), /'metadata'.*expected object/);
    assert.match(await err(c, { action: 'store', file_name: 'e', content: 'x', tags: [1, 2] }), /'tags'.*array of strings/);
    assert.match(await err(c, { action: 'store', file_name: 'e', content: 'x', tags: [''] }), /'tags'.*1 to 200 bytes/);
    assert.match(await err(c, { action: 'store', file_name: 'e', content: 'x', tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }),
      /'tags' has 65 tags \(limit 64\)/);
    assert.match(await err(c, { action: 'store', file_name: 'e', content: 'x', bogus: 1 }), /^Unknown parameter for memory store: 'bogus'/);
    assert.match(await err(c, { action: 'remember', content: 'x' }),
      /^Unknown memory action: remember \(valid actions: store, bulk_store, retrieve, build_context, retrieve_by_type, ask_with_context, get, update, delete, list\)$/);

    // Wrong types and ranges of numbers.
    assert.equal(await err(c, { action: 'retrieve', query: 'x', top_k: '5' }), "Invalid type for parameter 'top_k': expected integer, got string");
    assert.match(await err(c, { action: 'retrieve', query: 'x', top_k: 2.5 }), /'top_k'.*integer/);
    assert.match(await err(c, { action: 'retrieve', query: 'x', top_k: 0 }), /'top_k': 0 \(expected an integer from 1 to 100\)/);
    assert.match(await err(c, { action: 'retrieve', query: 'x', top_k: 101 }), /'top_k': 101/);
    assert.match(await err(c, { action: 'retrieve', query: 'x', max_tokens: 0 }), /'max_tokens'/);
    assert.equal(await err(c, { action: 'retrieve' }), 'Missing required parameter: query');
    assert.equal(await err(c, { action: 'retrieve', query: '  ' }), "Parameter 'query' must not be empty");
    assert.match(await err(c, { action: 'retrieve', query: 'x', since: 'soon' }), /^Invalid value for parameter 'since': 'soon'/);
    assert.match(await err(c, { action: 'list', until: 'later' }), /^Invalid value for parameter 'until': 'later'/);
    assert.match(await err(c, { action: 'list', limit: 0 }), /'limit'/);
    assert.match(await err(c, { action: 'list', offset: -1 }), /'offset'/);
    assert.equal((await retrieve(c, 'x', { top_k: 5.0 })).success, true, '5.0 is an integer');

    // Unknown, wrong and missing ids.
    for (const action of ['get', 'update', 'delete']) {
      const extra = action === 'update' ? { file_name: 'renamed' } : {};
      assert.equal(await err(c, { action, doc_id: 987654, ...extra }), 'Memory with ID 987654 not found', action);
      assert.equal(await err(c, { action, ...extra }), 'Missing required parameter: doc_id', action);
      assert.match(await err(c, { action, doc_id: 'one', ...extra }), /'doc_id': expected integer, got string/, action);
      assert.match(await err(c, { action, doc_id: 0, ...extra }), /'doc_id': 0/, action);
    }
    assert.match(await err(c, { action: 'update', doc_id: ok.doc_id }), /^Nothing to update/);
    // An update may not make two memories of a project identical.
    assert.equal(await err(c, { action: 'update', doc_id: ok.doc_id, content: 'y'.repeat(2048) }),
      `Memory ${atLimit.doc_id} already holds this content`);
    assert.match(await err(c, { action: 'update', doc_id: ok.doc_id, created_at: 'tomorrow' }), /'created_at'/);

    // None of it stored or changed anything.
    const list = await memory(c, { action: 'list' });
    assert.equal(list.total_count, 2);
    assert.deepEqual(ids(list.documents).sort(), [ok.doc_id, atLimit.doc_id].sort());
    const kept = await memory(c, { action: 'get', doc_id: ok.doc_id });
    assert.equal(kept.content, 'A memory that stays.');
    assert.equal(kept.file_name, 'keep');
  }, { env: { LTMC_MAX_MEMORY_BYTES: '2048' } });
});

test('the default content limit is 1 MiB (max_memory_bytes)', async (t) => {
  await withClient(t, async (c) => {
    const e = await err(c, { action: 'store', file_name: 'huge', content: 'word '.repeat(209716) }); // 1048580 bytes
    assert.equal(e, "Parameter 'content' is too long: 1048580 bytes (limit 1048576)");
    assert.equal((await memory(c, { action: 'list' })).total_count, 0);
  });
});

test('retrieve finds by meaning: paraphrases sharing no word with any memory rank the right one first', async (t) => {
  await withClient(t, async (c) => {
    const idOf = {};
    for (const [name, text] of EVERYDAY) idOf[name] = (await store(c, name, text)).doc_id;
    for (const [query, want] of PARAPHRASES) {
      const r = await retrieve(c, query, { top_k: 3 });
      assert.deepEqual(keys(r), ['conversation_id', 'documents', 'max_tokens', 'omitted_for_budget', 'query', 'score_scale', 'success',
        'tokens_used', 'total_found']);
      assert.equal(r.query, query);
      assert.equal(r.max_tokens, 4000, 'default budget: retrieve_token_budget');
      const docs = checkRanked(r, { topK: 3, what: query });
      assert.equal(docs.length, 3);
      assert.equal(docs[0].file_name, want, `"${query}" should find ${want} first; got ${JSON.stringify(docs.map((d) => [d.file_name, d.score]))}`);
      assert.equal(docs[0].doc_id, idOf[want]);
      assert.equal(docs[0].lexical_score, 0, 'no shared words: found by meaning alone');
      assert.ok(docs[0].similarity_score > docs[1].similarity_score);
      assert.equal(docs[0].content, EVERYDAY.find(([n]) => n === want)[1]);
    }
  });
});

test('retrieve finds by exact words and identifiers (camelCase, snake_case, codes, file names)', async (t) => {
  await withClient(t, async (c) => {
    const corpus = [
      ['retry.md', 'The retry logic lives in fetchUserProfile and waits using exponentialBackoffDelay between attempts.'],
      ['pool.md', 'Set MAX_POOL_SIZE in config/db_settings.yaml to limit connections; error code ERR_CONN_4417 means exhausted.'],
      ['http.md', 'The parseHttpHeaders helper rejects folded header lines.'],
      ...EVERYDAY.slice(0, 4),
    ];
    const idOf = {};
    for (const [name, text] of corpus) idOf[name] = (await store(c, name, text)).doc_id;
    const cases = [
      ['fetchUserProfile', 'retry.md'], ['user profile', 'retry.md'], ['FetchUserProfile', 'retry.md'], ['exponential backoff', 'retry.md'],
      ['exponentialBackoffDelay', 'retry.md'], ['ERR_CONN_4417', 'pool.md'], ['MAX_POOL_SIZE', 'pool.md'], ['db_settings.yaml', 'pool.md'],
      ['pool size', 'pool.md'], ['parseHttpHeaders', 'http.md'], ['http headers', 'http.md'], ['Biscuit', 'pets'], ['ricotta', 'recipe'],
    ];
    for (const [query, want] of cases) {
      const docs = checkRanked(await retrieve(c, query, { top_k: 5 }), { topK: 5, what: query });
      assert.equal(docs[0].doc_id, idOf[want], `"${query}" should find ${want} first; got ${JSON.stringify(docs.map((d) => [d.file_name, d.score, d.lexical_score]))}`);
      assert.equal(docs[0].lexical_score, 1, `"${query}": the best full-text match`);
    }
    // top_k bounds the results; the best is the same.
    const one = checkRanked(await retrieve(c, 'fetchUserProfile', { top_k: 1 }), { topK: 1 });
    assert.deepEqual(ids(one), [idOf['retry.md']]);

    // Full-text query syntax in a query is just words: no syntax error, no escape from the project.
    const secret = await store(c, 'secret', 'Operator column star quoted elsewhere', { project: 'private' });
    for (const q of ['"unbalanced', 'AND', 'OR NOT', 'NEAR(fetch user)', 'proj : private', '{words dt ctx} : operator', 'star*', '-minus',
      '^caret', '(', 'a"b', '???', '🚀', 'column: value', 'NOT operator']) {
      const r = await retrieve(c, q, { top_k: 100 });
      checkRanked(r, { what: q });
      assert.ok(!ids(r.documents).includes(secret.doc_id), `"${q}" must not reach another project`);
    }
    assert.equal(checkRanked(await retrieve(c, 'NEAR(parseHttpHeaders)', { top_k: 1 }))[0].doc_id, idOf['http.md']);
    assert.equal(await err(c, { action: 'retrieve', query: 'x\u0000y' }), "Parameter 'query' contains a NUL character");
  });
});

test('filters: resource_type, conversation_id, tags, since/until, on retrieve, retrieve_by_type and list', async (t) => {
  await withClient(t, async (c) => {
    const mk = async (name, content, o) => ({ name, ...(await store(c, name, content, o)), ...o });
    const all = [
      await mk('jan-decision', 'Decision: the puppy gets walked twice a day.', { resource_type: 'decision', conversation_id: 'c1', tags: ['dog', 'home'], created_at: '2024-01-10T08:00:00Z' }),
      await mk('mar-note', 'Note: the puppy chewed a shoe again.', { resource_type: 'note', conversation_id: 'c1', tags: ['dog'], created_at: '2024-03-15T00:00:00Z' }),
      await mk('jun-decision', 'Decision: buy a bigger crate for the puppy.', { resource_type: 'decision', conversation_id: 'c2', tags: ['dog', 'shopping'], created_at: '2024-06-01T12:30:00Z' }),
      await mk('aug-code', 'function walkPuppy() { return leash.attach(); }', { resource_type: 'code', conversation_id: 'c2', tags: ['home'], created_at: '2024-08-20T23:59:59Z' }),
    ];
    const names = (docs) => docs.map((d) => d.file_name).sort();
    const expectFilter = async (filter, want) => {
      const r = await retrieve(c, 'puppy', { top_k: 100, ...filter });
      const docs = checkRanked(r, { what: JSON.stringify(filter) });
      assert.deepEqual(names(docs), [...want].sort(), `retrieve with ${JSON.stringify(filter)}`);
      const l = await memory(c, { action: 'list', ...filter });
      assert.deepEqual(names(l.documents), [...want].sort(), `list with ${JSON.stringify(filter)}`);
      assert.equal(l.total_count, want.length);
    };
    await expectFilter({}, all.map((m) => m.name));
    await expectFilter({ resource_type: 'decision' }, ['jan-decision', 'jun-decision']);
    await expectFilter({ conversation_id: 'c2' }, ['jun-decision', 'aug-code']);
    assert.equal((await retrieve(c, 'puppy', { conversation_id: 'c2' })).conversation_id, 'c2', 'the filter is echoed');
    await expectFilter({ tags: ['dog'] }, ['jan-decision', 'mar-note', 'jun-decision']);
    await expectFilter({ tags: ['dog', 'home'] }, ['jan-decision']); // all of them
    await expectFilter({ tags: 'home' }, ['jan-decision', 'aug-code']);
    await expectFilter({ tags: ['cat'] }, []);
    await expectFilter({ since: '2024-03-15' }, ['mar-note', 'jun-decision', 'aug-code']); // inclusive
    await expectFilter({ until: '2024-03-15T00:00:00Z' }, ['jan-decision', 'mar-note']); // inclusive
    await expectFilter({ since: '2024-03-15T02:00:00+02:00', until: '2024-06-01' }, ['mar-note']); // any ISO form
    await expectFilter({ since: '2024-06-01T12:30:00.001Z' }, ['aug-code']);
    await expectFilter({ resource_type: 'decision', conversation_id: 'c1', tags: ['home'], until: '2024-12-31' }, ['jan-decision']);
    await expectFilter({ resource_type: 'nothing-of-this-type' }, []);

    // retrieve_by_type: the type is required and is the filter.
    const bt = await memory(c, { action: 'retrieve_by_type', query: 'puppy', doc_type: 'decision' });
    assert.equal(bt.doc_type, 'decision');
    const btDocs = checkRanked(bt, { topK: 5, what: 'retrieve_by_type' });
    assert.deepEqual(names(btDocs), ['jan-decision', 'jun-decision']);
    assert.ok(btDocs.every((d) => d.resource_type === 'decision'));
    const code = checkRanked(await memory(c, { action: 'retrieve_by_type', query: 'leash', doc_type: 'code' }));
    assert.deepEqual(names(code), ['aug-code']);
    assert.equal(await err(c, { action: 'retrieve_by_type', query: 'puppy' }), 'Missing required parameter: doc_type');
    const since = checkRanked(await memory(c, { action: 'retrieve_by_type', query: 'puppy', doc_type: 'decision', since: '2024-02-01' }));
    assert.deepEqual(names(since), ['jun-decision']);
    // Results carry the fields filtered on.
    const full = (await retrieve(c, 'walked twice', { top_k: 1 })).documents[0];
    assert.equal(full.file_name, 'jan-decision');
    assert.equal(full.resource_type, 'decision');
    assert.equal(full.conversation_id, 'c1');
    assert.deepEqual(full.tags, ['dog', 'home']);
    assert.equal(full.created_at, '2024-01-10T08:00:00.000Z');
  });
});

test('max_tokens: results are cut to the budget on a character boundary, the rest omitted', async (t) => {
  await withClient(t, async (c) => {
    const longText = `Grüße ${'ü'.repeat(400)}`; // 406 characters, 812 bytes: 102 tokens
    const long = await store(c, 'umlauts', longText);
    for (let i = 0; i < 4; i++) await store(c, `other-${i}`, `Short memory number ${i} about nothing much.`);
    const r = await retrieve(c, 'Grüße', { max_tokens: 10, top_k: 5 });
    const docs = checkRanked(r, { topK: 5 });
    assert.deepEqual(ids(docs), [long.doc_id], 'the budget is spent by the first result');
    assert.equal(r.omitted_for_budget, 4);
    assert.equal(r.tokens_used, 10);
    assert.equal(r.max_tokens, 10);
    assert.equal(docs[0].truncated, true);
    assert.equal(docs[0].content, `Grüße ${'ü'.repeat(34)}...[truncated]`, '10 tokens = 40 characters, cut between characters');
    // The stored memory is untouched.
    assert.equal((await memory(c, { action: 'get', doc_id: long.doc_id })).content, longText);

    // A budget larger than everything returns all of it uncut.
    const wide = await retrieve(c, 'Grüße', { max_tokens: 100000, top_k: 5 });
    const all = checkRanked(wide, { topK: 5 });
    assert.equal(all.length, 5);
    assert.equal(wide.omitted_for_budget, 0);
    assert.ok(all.every((x) => !('truncated' in x)));
    assert.equal(all[0].content, longText);
    assert.equal(wide.tokens_used, all.reduce((n, x) => n + Math.ceil([...x.content].length / 4), 0));

    // A budget that fits the first and cuts the second.
    const firstTokens = Math.ceil([...longText].length / 4);
    const two = await retrieve(c, 'Grüße', { max_tokens: firstTokens + 3, top_k: 5 });
    assert.equal(two.documents.length, 2);
    assert.equal(two.documents[0].content, longText);
    assert.equal(two.documents[1].truncated, true);
    assert.match(two.documents[1].content, /^.{12}\.\.\.\[truncated\]$/u);
    assert.equal(two.omitted_for_budget, 3);
    assert.equal(two.tokens_used, firstTokens + 3);
  });
});

test('the retrieve_token_budget setting is the default max_tokens of retrieval', async (t) => {
  await withClient(t, async (c) => {
    await store(c, 'long', 'Budgeted words. '.repeat(100)); // 1600 characters: 400 tokens
    const r = await retrieve(c, 'budgeted');
    assert.equal(r.max_tokens, 100);
    assert.equal(r.tokens_used, 100);
    assert.equal(r.documents[0].truncated, true);
    assert.equal(r.documents[0].content.length, 400 + '...[truncated]'.length);
    const ask = await memory(c, { action: 'ask_with_context', query: 'budgeted' });
    assert.equal(ask.max_tokens, 100);
    assert.equal((await memory(c, { action: 'build_context', query: 'budgeted' })).max_tokens, 4000, 'build_context has its own default');
  }, { env: { LTMC_RETRIEVE_TOKEN_BUDGET: '100' } });
});

test('update changes what is found; delete makes a memory unfindable everywhere', async (t) => {
  await withClient(t, async (c) => {
    const idOf = {};
    for (const [name, text] of EVERYDAY) idOf[name] = (await store(c, name, text, { tags: ['everyday'] }))?.doc_id;
    const pets = idOf.pets;

    // Update the content: the old meaning and words no longer find it, the new ones do.
    const u = await memory(c, { action: 'update', doc_id: pets, content: 'The bicycle chain snapped halfway up the hill.' });
    assert.deepEqual(keys(u), ['doc_id', 'memory', 'message', 'success', 'updated_fields']);
    assert.deepEqual(u.updated_fields, ['content']);
    assert.equal(u.memory.content, 'The bicycle chain snapped halfway up the hill.');
    assert.equal(u.memory.file_name, 'pets', 'other fields are kept');
    assert.deepEqual(u.memory.tags, ['everyday']);
    assert.ok(u.memory.updated_at >= u.memory.created_at);
    const byOldWord = checkRanked(await retrieve(c, 'Biscuit puppy shelter'));
    assert.ok(byOldWord.every((d) => d.doc_id !== pets || d.lexical_score === 0), 'old words are gone from the full-text index');
    const byOldMeaning = checkRanked(await retrieve(c, 'got a young dog from an animal rescue', { top_k: 3 }));
    assert.notEqual(byOldMeaning[0].doc_id, pets, 'the old meaning no longer ranks it first');
    const byNewMeaning = checkRanked(await retrieve(c, 'cycling accident on a slope', { top_k: 3 }));
    assert.equal(byNewMeaning[0].doc_id, pets, 'the new meaning finds it (its vector was replaced)');
    const byNewWord = checkRanked(await retrieve(c, 'bicycle', { top_k: 3 }));
    assert.equal(byNewWord[0].doc_id, pets);
    assert.equal(byNewWord[0].lexical_score, 1);

    // Tags can be cleared.
    const cleared = await memory(c, { action: 'update', doc_id: idOf.guitar, tags: [] });
    assert.deepEqual(cleared.memory.tags, []);
    assert.deepEqual(ids(checkRanked(await retrieve(c, 'guitar', { tags: ['everyday'], top_k: 100 }))).includes(idOf.guitar), false);

    // Update the fields filters look at.
    const moved = await memory(c, { action: 'update', doc_id: idOf.car, resource_type: 'incident', conversation_id: 'garage',
      tags: ['car'], created_at: '2023-05-05', file_name: 'car-noise', metadata: { km: 120000 } });
    assert.deepEqual(moved.updated_fields, ['file_name', 'resource_type', 'conversation_id', 'created_at', 'tags', 'metadata']);
    assert.equal(moved.memory.created_at, '2023-05-05T00:00:00.000Z');
    assert.deepEqual(ids(checkRanked(await retrieve(c, 'mechanic', { resource_type: 'incident' }))), [idOf.car]);
    assert.deepEqual(ids(checkRanked(await retrieve(c, 'mechanic', { conversation_id: 'garage' }))), [idOf.car]);
    assert.deepEqual(ids(checkRanked(await retrieve(c, 'mechanic', { tags: ['car'] }))), [idOf.car]);
    assert.deepEqual(ids(checkRanked(await retrieve(c, 'mechanic', { until: '2023-12-31' }))), [idOf.car]);
    assert.deepEqual(checkRanked(await retrieve(c, 'mechanic', { tags: ['everyday'], resource_type: 'incident' })), []);
    assert.deepEqual((await memory(c, { action: 'get', doc_id: idOf.car })).metadata, { km: 120000 });

    // Delete: gone from get, list, retrieve (by words and by meaning), by type, ask and build_context.
    const victim = idOf.recipe;
    const d = await memory(c, { action: 'delete', doc_id: victim });
    assert.deepEqual(keys(d), ['deleted', 'doc_id', 'file_name', 'message', 'success']);
    assert.equal(d.deleted, true);
    assert.equal(d.doc_id, victim);
    assert.equal(d.file_name, 'recipe');
    assert.equal(await err(c, { action: 'get', doc_id: victim }), `Memory with ID ${victim} not found`);
    assert.equal(await err(c, { action: 'delete', doc_id: victim }), `Memory with ID ${victim} not found`);
    assert.equal(await err(c, { action: 'update', doc_id: victim, file_name: 'x' }), `Memory with ID ${victim} not found`);
    const queries = ["Grandma's lasagna recipe needs ricotta, spinach and fresh basil.", 'lasagna', 'cooking pasta with cheese'];
    for (const q of queries) {
      assert.ok(!ids((await retrieve(c, q, { top_k: 100 })).documents).includes(victim), `retrieve "${q}"`);
      assert.ok(!ids((await memory(c, { action: 'retrieve_by_type', query: q, doc_type: 'document', top_k: 100 })).documents).includes(victim));
      const ask = await memory(c, { action: 'ask_with_context', query: q, top_k: 100 });
      assert.ok(!ask.retrieved_chunks.some((x) => x.doc_id === victim));
      assert.doesNotMatch(ask.context, /lasagna/);
      const bc = await memory(c, { action: 'build_context', query: q, top_k: 100, max_tokens: 100000 });
      assert.doesNotMatch(bc.context, /lasagna/);
    }
    const list = await memory(c, { action: 'list', limit: 100 });
    assert.equal(list.total_count, EVERYDAY.length - 1);
    assert.ok(!ids(list.documents).includes(victim));
    // Storing the same text again makes a new memory (not a duplicate of the deleted one).
    const back = await store(c, 'recipe-again', EVERYDAY.find(([n]) => n === 'recipe')[1]);
    assert.equal(back.duplicate, false);
    assert.deepEqual(back.near_duplicates, [], 'the deleted memory left the vector index');
    assert.ok(back.doc_id > victim, 'ids are not reused');
    assert.equal(checkRanked(await retrieve(c, 'cooking pasta with cheese', { top_k: 1 }))[0].doc_id, back.doc_id);
  });
});

test('list: newest first, paging with limit/offset, previews and counts', async (t) => {
  await withClient(t, async (c) => {
    const documents = Array.from({ length: 25 }, (_, i) => ({
      file_name: `entry-${String(i).padStart(2, '0')}`,
      content: `Diary entry ${i}: ${'words and more words '.repeat(i === 7 ? 30 : 1)}`,
      created_at: new Date(Date.UTC(2025, 0, 1 + i)).toISOString(),
      tags: i % 2 ? ['odd'] : ['even'],
    }));
    await memory(c, { action: 'bulk_store', documents });
    const seen = [];
    const pages = [];
    for (let offset = 0; offset < 30; offset += 10) {
      const p = await memory(c, { action: 'list', limit: 10, offset });
      assert.deepEqual(keys(p), ['documents', 'has_more', 'limit_applied', 'offset', 'project', 'success', 'total_count', 'total_found']);
      assert.equal(p.total_count, 25);
      assert.equal(p.limit_applied, 10);
      assert.equal(p.offset, offset);
      assert.equal(p.total_found, p.documents.length);
      pages.push(p.documents.length);
      assert.equal(p.has_more, offset + 10 < 25);
      for (const d of p.documents) {
        assert.deepEqual(keys(d), ['content_bytes', 'conversation_id', 'created_at', 'doc_id', 'file_name', 'preview', 'resource_type', 'tags',
          'updated_at']);
        seen.push(d);
      }
    }
    assert.deepEqual(pages, [10, 10, 5]);
    assert.deepEqual(seen.map((d) => d.file_name), documents.map((d) => d.file_name).reverse(), 'newest (created_at) first, each once');
    const e7 = seen.find((d) => d.file_name === 'entry-07');
    const full7 = documents[7].content;
    assert.equal(e7.content_bytes, Buffer.byteLength(full7));
    assert.equal(e7.preview, full7.slice(0, 200), 'preview: the first 200 characters');
    assert.deepEqual(e7.tags, ['odd']);
    const past = await memory(c, { action: 'list', offset: 25 });
    assert.deepEqual(past.documents, []);
    assert.equal(past.has_more, false);
    assert.equal(past.total_count, 25);
    const odd = await memory(c, { action: 'list', tags: ['odd'], limit: 100 });
    assert.equal(odd.total_count, 12);
    assert.equal((await memory(c, { action: 'list' })).limit_applied, 20, 'default limit');
  });
});

test('build_context: documents mode and query mode, within max_tokens', async (t) => {
  await withClient(t, async (c) => {
    // Documents mode: in the given order, joined by a separator.
    const r = await memory(c, { action: 'build_context', documents: [{ content: 'First part.', file_name: 'one.md' }, { content: 'Second part here.' }] });
    assert.deepEqual(keys(r), ['context', 'documents_included', 'max_tokens', 'parts', 'success', 'total_tokens']);
    assert.equal(r.context, 'First part.\n\n---\n\nSecond part here.');
    assert.deepEqual(r.parts, [
      { index: 0, content: 'First part.', tokens: 3, source: 'one.md' },
      { index: 1, content: 'Second part here.', tokens: 5, source: 'document_1' },
    ]);
    assert.equal(r.total_tokens, 8);
    assert.equal(r.max_tokens, 4000);
    assert.equal(r.documents_included, 2);

    // The first document that does not fit is cut when more than 50 tokens remain; then it stops.
    const big = 'b'.repeat(800); // 200 tokens
    const cut = await memory(c, { action: 'build_context', max_tokens: 150, documents: [{ content: 'a'.repeat(160) }, { content: big }, { content: 'never' }] });
    assert.equal(cut.documents_included, 2);
    assert.equal(cut.parts[1].truncated, true);
    assert.equal(cut.parts[1].content, 'b'.repeat(440) + '...[truncated]', '150 - 40 = 110 tokens of it');
    assert.ok(!cut.context.includes('never'));
    // ... and dropped when 50 or fewer remain.
    const stop = await memory(c, { action: 'build_context', max_tokens: 90, documents: [{ content: 'a'.repeat(160) }, { content: big }] });
    assert.equal(stop.documents_included, 1);
    assert.equal(stop.context, 'a'.repeat(160));
    // Items without content are skipped.
    const skip = await memory(c, { action: 'build_context', documents: [{ file_name: 'x' }, { content: 'only' }] });
    assert.equal(skip.context, 'only');
    assert.equal(skip.parts[0].index, 1);

    // Query mode: the query's results, best first.
    for (const [name, text] of EVERYDAY) await store(c, name, text);
    const q = await memory(c, { action: 'build_context', query: 'airplane trip postponed by bad weather', top_k: 2, max_tokens: 1000 });
    assert.equal(q.query, 'airplane trip postponed by bad weather');
    assert.equal(q.documents_included, 2);
    assert.equal(q.parts[0].source, 'travel');
    assert.equal(q.parts[0].content, EVERYDAY.find(([n]) => n === 'travel')[1]);
    assert.ok(q.context.startsWith(q.parts[0].content + '\n\n---\n\n'));
    const tight = await memory(c, { action: 'build_context', query: 'airplane trip postponed by bad weather', max_tokens: 60 });
    assert.ok(tight.total_tokens <= 60);

    assert.equal(await err(c, { action: 'build_context' }), 'Missing required parameter: documents (or query)');
    assert.match(await err(c, { action: 'build_context', documents: 'text' }), /'documents'.*expected array/);
    assert.match(await err(c, { action: 'build_context', documents: [], max_tokens: 0 }), /'max_tokens'/);
  });
});

test('ask_with_context: the best-matching passage of each memory, best first', async (t) => {
  await withClient(t, async (c) => {
    const none = await memory(c, { action: 'ask_with_context', query: 'anything at all' });
    assert.equal(none.context, '');
    assert.deepEqual(none.retrieved_chunks, []);
    assert.equal(none.message, 'No memory matched the query');

    for (const [name, text] of EVERYDAY) await store(c, name, text);
    // A long memory of three topics, one chunk each: the answer quotes the matching chunk only.
    const parts = [
      'The kitchen renovation needs new cabinets, a marble countertop and a larger sink. '.repeat(10),
      'Our soccer team won the regional championship after a penalty shootout in the final. '.repeat(10),
      'The telescope showed the rings of Saturn and four moons of Jupiter on a clear night. '.repeat(10),
    ];
    const multi = await store(c, 'journal', parts.join('\n\n'));
    assert.ok(multi.chunk_count >= 3, `chunk_count ${multi.chunk_count}`);
    const r = await memory(c, { action: 'ask_with_context', query: 'astronomy planets stars', top_k: 3 });
    assert.deepEqual(keys(r), ['context', 'conversation_id', 'max_tokens', 'message', 'query', 'retrieved_chunks', 'success', 'tokens_used']);
    assert.equal(r.retrieved_chunks.length, 3);
    const first = r.retrieved_chunks[0];
    assert.deepEqual(keys(first), ['chunk_id', 'doc_id', 'file_name', 'resource_id', 'score']);
    assert.equal(first.doc_id, multi.doc_id);
    assert.equal(first.resource_id, multi.doc_id);
    assert.equal(first.file_name, 'journal');
    assert.match(r.context, /^[^]*Saturn/);
    assert.ok(r.context.indexOf('Saturn') < 1000, 'the matching chunk comes first');
    assert.doesNotMatch(r.context, /marble countertop/, 'only the best chunk of a memory');
    for (let i = 1; i < r.retrieved_chunks.length; i++) assert.ok(r.retrieved_chunks[i - 1].score >= r.retrieved_chunks[i].score);
    assert.equal(r.message, 'Context assembled from the best-matching memories');
    assert.equal(r.max_tokens, 4000);
    // Filters and the budget apply.
    const typed = await memory(c, { action: 'ask_with_context', query: 'astronomy planets stars', resource_type: 'nope' });
    assert.deepEqual(typed.retrieved_chunks, []);
    const small = await memory(c, { action: 'ask_with_context', query: 'astronomy planets stars', max_tokens: 20 });
    assert.equal(small.tokens_used, 20);
    assert.equal(small.retrieved_chunks.length, 1);
    assert.ok(small.context.endsWith('...[truncated]'));
    assert.equal([...small.context].length, 80 + '...[truncated]'.length);
    assert.equal(await err(c, { action: 'ask_with_context' }), 'Missing required parameter: query');
  });
});

test('bulk_store: one transaction, duplicates skipped, all or nothing on a bad item', async (t) => {
  await withClient(t, async (c) => {
    const pre = await store(c, 'pre', 'Already here before the import.');
    const r = await memory(c, {
      action: 'bulk_store', resource_type: 'import', conversation_id: 'batch-1', documents: [
        { file_name: 'a', content: 'Alpha memory about sailing boats.', tags: ['sea'] },
        { file_name: 'b', content: 'Beta memory about mountain hiking.', resource_type: 'trip', conversation_id: 'own', created_at: '2022-07-01' },
        { file_name: 'dup-in-batch', content: 'Alpha memory about sailing boats.' },
        { file_name: 'dup-of-stored', content: 'Already here before the import.' },
        { file_name: 'c', content: 'Gamma memory about chess openings.', metadata: { n: 3 } },
      ],
    });
    assert.deepEqual(keys(r), ['documents', 'duplicates', 'message', 'project', 'stored', 'success']);
    assert.equal(r.stored, 3);
    assert.equal(r.duplicates, 2);
    assert.deepEqual(r.documents.map((d) => keys(d)), Array(5).fill(['doc_id', 'duplicate', 'file_name']));
    assert.deepEqual(r.documents.map((d) => [d.file_name, d.duplicate]),
      [['a', false], ['b', false], ['dup-in-batch', true], ['dup-of-stored', true], ['c', false]]);
    assert.equal(r.documents[2].doc_id, r.documents[0].doc_id);
    assert.equal(r.documents[3].doc_id, pre.doc_id);
    const [a, b, , , cc] = await Promise.all(r.documents.map((d) => memory(c, { action: 'get', doc_id: d.doc_id })));
    assert.deepEqual([a.resource_type, a.conversation_id, a.tags], ['import', 'batch-1', ['sea']], 'defaults from the call');
    assert.deepEqual([b.resource_type, b.conversation_id, b.created_at], ['trip', 'own', '2022-07-01T00:00:00.000Z'], 'per-item values win');
    assert.deepEqual(cc.metadata, { n: 3 });
    assert.equal((await memory(c, { action: 'list' })).total_count, 4);
    // Imported memories are searchable by meaning at once.
    assert.equal(checkRanked(await retrieve(c, 'climbing peaks on foot', { top_k: 1 }))[0].doc_id, b.doc_id);

    // Any bad item fails the whole call and stores nothing, not even the good items before it.
    const good = { file_name: 'fresh', content: 'A fresh memory that must not be stored.' };
    const bad = [
      [{ file_name: 'x' }, /^documents\[1\]: missing required field content$/],
      [{ content: 'no name' }, /^documents\[1\]: missing required field file_name$/],
      [{ file_name: 'x', content: 'y', colour: 'red' }, /^documents\[1\]: unknown field 'colour'/],
      [{ file_name: 'x', content: 'y', created_at: 'someday' }, /^documents\[1\]: Invalid value for parameter 'created_at'/],
      [{ file_name: 'x', content: 5 }, /^documents\[1\]\.content: expected string, got integer$/],
      [{ file_name: 'x', content: 'y', tags: 'a,b' }, /^documents\[1\]\.tags: expected an array of strings$/],
      [{ file_name: 'x', content: 'y', metadata: [1] }, /^documents\[1\]\.metadata: expected object$/],
      [{ file_name: 'x', content: '' }, /^documents\[1\]: Parameter 'content' must not be empty$/],
      [{ file_name: 'x', content: 'z'.repeat(3000) }, /^documents\[1\]: Parameter 'content' is too long: 3000 bytes \(limit 2048\)$/],
      ['not an object', /^documents\[1\] must be an object$/],
    ];
    for (const [item, msg] of bad) assert.match(await err(c, { action: 'bulk_store', documents: [good, item] }), msg, JSON.stringify(item));
    assert.equal(await err(c, { action: 'bulk_store', documents: [] }), "Parameter 'documents' must not be empty");
    assert.equal(await err(c, { action: 'bulk_store' }), 'Missing required parameter: documents');
    assert.equal(await err(c, { action: 'bulk_store', documents: Array.from({ length: 5001 }, (_, i) => ({ file_name: `f${i}`, content: `c${i}` })) }),
      "Parameter 'documents' has 5001 items (limit 5000 per call)");
    assert.equal((await memory(c, { action: 'list' })).total_count, 4, 'failed imports stored nothing');
    assert.deepEqual((await retrieve(c, 'fresh memory that must not be stored')).documents.filter((d) => d.file_name === 'fresh'), []);
  }, { env: { LTMC_MAX_MEMORY_BYTES: '2048' } });
});

test('projects are isolated: store, retrieve, get, update, delete, list, duplicates', async (t) => {
  const sb = sandbox(t);
  const session = await connect(sb);
  try {
    const c = session.client;
    const text = 'The staging server password rotates every ninety days.';
    const inA = await store(c, 'a', text, { project: 'A' });
    const inB = await store(c, 'b', text, { project: 'B' });
    assert.equal(inA.project, 'A');
    assert.equal(inB.duplicate, false, 'identical content in another project is a separate memory');
    await store(c, 'b-only', 'Project B keeps its own retrospective notes.', { project: 'B' });
    for (const [p, own] of [['A', [inA.doc_id]], ['B', [inB.doc_id]]]) {
      const docs = checkRanked(await retrieve(c, 'staging server password', { project: p, top_k: 100 }));
      assert.ok(ids(docs).includes(own[0]));
      assert.ok(docs.every((d) => d.doc_id !== (p === 'A' ? inB.doc_id : inA.doc_id)), `${p} sees only its own`);
    }
    assert.deepEqual(checkRanked(await retrieve(c, 'retrospective', { project: 'A', top_k: 100 })).map((d) => d.file_name), ['a']);
    assert.deepEqual((await retrieve(c, 'staging server password')).documents, [], 'the default project is empty');
    assert.equal((await memory(c, { action: 'list', project: 'A' })).total_count, 1);
    assert.equal((await memory(c, { action: 'list', project: 'B' })).total_count, 2);
    // Another project's id is not found, and is left alone.
    assert.equal(await err(c, { action: 'get', doc_id: inB.doc_id, project: 'A' }), `Memory with ID ${inB.doc_id} not found`);
    assert.equal(await err(c, { action: 'update', doc_id: inB.doc_id, project: 'A', content: 'hijacked' }), `Memory with ID ${inB.doc_id} not found`);
    assert.equal(await err(c, { action: 'delete', doc_id: inB.doc_id, project: 'A' }), `Memory with ID ${inB.doc_id} not found`);
    assert.equal((await memory(c, { action: 'get', doc_id: inB.doc_id, project: 'B' })).content, text);
    const bulk = await memory(c, { action: 'bulk_store', project: 'A', documents: [{ file_name: 'x', content: 'Project B keeps its own retrospective notes.' }] });
    assert.equal(bulk.documents[0].duplicate, false);
    assert.equal(bulk.project, 'A');
    // Deleting in A leaves B's copy findable.
    await memory(c, { action: 'delete', doc_id: inA.doc_id, project: 'A' });
    assert.equal(checkRanked(await retrieve(c, 'staging server password', { project: 'B', top_k: 1 }))[0].doc_id, inB.doc_id);
    assert.equal(await err(c, { action: 'ask_with_context', query: 'x', project: '' }), "Parameter 'project' must not be empty");
  } finally {
    await closeClean(session);
  }
  // A server whose default project is B sees B's memories without naming it.
  const b = await connect(sb, { env: { LTMC_PROJECT: 'B' } });
  try {
    assert.equal((await memory(b.client, { action: 'list' })).total_count, 2);
    assert.equal((await memory(b.client, { action: 'list' })).project, 'B');
  } finally {
    await closeClean(b);
  }
});
