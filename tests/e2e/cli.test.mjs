// The command line: help, version, `ltmc call` (same result object as
// tools/call, exit 0/1/2) and `ltmc doctor`.
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { closeClean, connect, GLOVE, memory, runCli, runCliExpect, sandbox, todo } from './helpers.mjs';

test('help and version', async (t) => {
  const sb = sandbox(t);
  const top = await runCliExpect(sb, ['--help'], 0);
  for (const s of ['Usage: ltmc COMMAND', 'serve', 'call TOOL JSON', 'doctor', 'reembed', 'version', '--config', '--data-dir', 'LTMC_DATA_DIR'])
    assert.ok(top.stdout.includes(s), `ltmc --help lacks ${s}`);
  assert.equal(top.stderr, '');
  assert.equal((await runCliExpect(sb, ['help'], 0)).stdout, top.stdout);

  const serve = await runCliExpect(sb, ['serve', '--help'], 0);
  assert.match(serve.stdout, /Usage: ltmc serve/);
  assert.match(serve.stdout, /stdin/);
  assert.match(serve.stdout, /--db-path/);
  const call = await runCliExpect(sb, ['call', '--help'], 0);
  assert.match(call.stdout, /Usage: ltmc call TOOL JSON/);
  const toolLines = call.stdout.split('\n').filter((l) => /^\s+\w+_action\s/.test(l)).map((l) => l.trim().split(/\s+/).join(' '));
  assert.deepEqual(toolLines, [
    'memory_action store, bulk_store, retrieve, build_context, retrieve_by_type, ask_with_context, get, update, delete, list',
    'todo_action add, list, complete, search, update, delete',
    'chat_action log, get_by_tool, get_tool_conversations, get_conversation, route_query',
    'graph_action link, query, auto_link, get_relationships, stats, unlink, delete_node, traverse, path, export, import',
    'blueprint_action create, analyze_complexity, list_project, add_dependency, resolve_order, update_metadata, get_dependencies, delete',
    'unix_action ls, cat, grep, find, tree, jq, disk_usage, help, diff_highlight, fuzzy_select, parse_syntax, syntax_query, list_modern, syntax_highlight',
    'pattern_action extract_functions, extract_classes, extract_comments, summarize_code, log_attempt, get_patterns, analyze_patterns',
    'cache_action health_check, stats, flush, reset',
    'documentation_action generate_api_docs, generate_architecture_diagram, sync_documentation_with_code, validate_documentation_consistency',
    'sync_action code, validate, drift, blueprint, score, monitor, stop, status',
    'config_action validate_config, get_config_schema, export_config',
  ]);
  assert.equal((await runCliExpect(sb, ['help', 'call'], 0)).stdout, call.stdout);
  const doctor = await runCliExpect(sb, ['doctor', '--help'], 0);
  assert.match(doctor.stdout, /Usage: ltmc doctor/);
  // --help must not run the command: no database is created.
  assert.throws(() => statSync(sb.dbPath), /ENOENT/);

  const v = await runCliExpect(sb, ['version'], 0);
  assert.match(v.stdout, /^ltmc \d+\.\d+\.\d+\S*\n$/);
  assert.equal((await runCliExpect(sb, ['--version'], 0)).stdout, v.stdout);

  const none = await runCliExpect(sb, [], 2);
  assert.match(none.stderr, /Usage/);
  assert.equal(none.stdout, '');
  const unknown = await runCliExpect(sb, ['frobnicate'], 2);
  assert.match(unknown.stderr, /unknown command 'frobnicate'/);
});

test('ltmc call prints the same result object as tools/call', async (t) => {
  const sb = sandbox(t);
  const session = await connect(sb);
  try {
    const c = session.client;
    await todo(c, { action: 'add', title: 'one', priority: 'high' });
    await todo(c, { action: 'add', title: 'two', description: 'second' });
    await todo(c, { action: 'add', title: 'other project', project: 'p2' });
    for (const args of [
      { action: 'list' },
      { action: 'list', project: 'p2' },
      { action: 'search', query: 'TWO' },
      { action: 'list', limit: 'ten' }, // an error result
    ]) {
      const viaMcp = await c.callTool({ name: 'todo_action', arguments: args });
      const r = await runCli(sb, ['call', 'todo_action', JSON.stringify(args)]);
      assert.doesNotMatch(r.stderr, /Sanitizer/);
      assert.deepStrictEqual(JSON.parse(r.stdout), viaMcp.structuredContent, `call vs tools/call for ${JSON.stringify(args)}`);
      assert.equal(r.code, viaMcp.isError ? 1 : 0);
    }
    // A write through the CLI is visible to the running server.
    const added = await runCliExpect(sb, ['call', 'todo_action', '{"action":"add","title":"from cli"}'], 0);
    const addRes = JSON.parse(added.stdout);
    assert.equal(addRes.success, true);
    assert.equal(addRes.title, 'from cli');
    const list = await todo(c, { action: 'search', query: 'from cli' });
    assert.equal(list.todos[0].todo_id, addRes.todo_id);
  } finally {
    await closeClean(session);
  }
});

test('ltmc call: output forms and exit codes 0 / 1 / 2', async (t) => {
  const sb = sandbox(t);
  const ok = await runCliExpect(sb, ['call', 'todo_action', '{"action":"add","title":"pretty"}'], 0);
  assert.ok(ok.stdout.includes('\n  "success": true'), 'pretty-printed by default');
  const compact = await runCliExpect(sb, ['call', 'todo_action', '{"action":"list"}', '--compact'], 0);
  assert.equal(compact.stdout.trim().split('\n').length, 1, '--compact prints one line');
  assert.equal(JSON.parse(compact.stdout).total_count, 1);

  const err = await runCliExpect(sb, ['call', 'todo_action', '{"action":"add"}'], 1);
  const errRes = JSON.parse(err.stdout);
  assert.equal(errRes.success, false);
  assert.equal(errRes.error, 'Missing required parameter: title');
  await runCliExpect(sb, ['call', 'todo_action', '{"action":"complete","todo_id":424242}'], 1);
  await runCliExpect(sb, ['call', 'todo_action', '{"action":"x"}'], 1);

  const unknownTool = await runCliExpect(sb, ['call', 'nope_action', '{}'], 2);
  assert.match(unknownTool.stderr, /nope_action/);
  assert.equal(unknownTool.stdout, '');
  const badJson = await runCliExpect(sb, ['call', 'todo_action', '{"action":'], 2);
  assert.match(badJson.stderr, /not valid JSON/);
  const notObject = await runCliExpect(sb, ['call', 'todo_action', '[1]'], 2);
  assert.match(notObject.stderr, /argument|object/i);
  const missingArgs = await runCliExpect(sb, ['call', 'todo_action'], 2);
  assert.match(missingArgs.stderr, /Usage: ltmc call/);

  // Arguments from stdin with "-".
  const fromStdin = await runCliExpect(sb, ['call', 'todo_action', '-'], 0, { input: '{"action":"add","title":"from stdin ✓"}' });
  assert.equal(JSON.parse(fromStdin.stdout).title, 'from stdin ✓');
  const big = 'd'.repeat(50000);
  const bigStdin = await runCliExpect(sb, ['call', 'todo_action', '-', '--compact'], 0, { input: JSON.stringify({ action: 'add', title: 'big', description: big }) });
  assert.equal(JSON.parse(bigStdin.stdout).description, big);

  // Flags work with call.
  const proj = await runCliExpect(sb, ['call', 'todo_action', '{"action":"list"}', '--project', 'elsewhere'], 0);
  assert.equal(JSON.parse(proj.stdout).project, 'elsewhere');
  assert.equal(JSON.parse(proj.stdout).total_count, 0);
});

test('ltmc doctor: passes on a fresh directory', async (t) => {
  const sb = sandbox(t);
  const r = await runCliExpect(sb, ['doctor'], 0);
  assert.match(r.stdout, /All checks passed/);
  assert.match(r.stdout, /\[ok\s*\] database/);
  assert.match(r.stdout, /journal wal/);
  assert.ok(r.stdout.includes(sb.dbPath));
  assert.doesNotMatch(r.stdout, /FAIL/);
  // Still fine once data exists.
  await runCliExpect(sb, ['call', 'todo_action', '{"action":"add","title":"x"}'], 0);
  await runCliExpect(sb, ['doctor'], 0);
});

test('ltmc doctor: passes with an in-memory database (db_path :memory:)', async (t) => {
  const sb = sandbox(t, { env: { LTMC_DB_PATH: ':memory:' } });
  const r = await runCliExpect(sb, ['doctor'], 0);
  assert.match(r.stdout, /:memory:/);
  assert.doesNotMatch(r.stdout, /FAIL/);
  assert.throws(() => statSync(join(sb.dataDir, ':memory:')), /ENOENT/, 'no file named :memory: is created');
});

test('ltmc doctor: fails on a corrupt database', async (t) => {
  // Garbage instead of a database.
  const sb = sandbox(t);
  await runCliExpect(sb, ['doctor'], 0);
  const garbage = Buffer.alloc(8192);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
  const fd = openSync(sb.dbPath, 'w');
  writeSync(fd, garbage);
  closeSync(fd);
  const r = await runCliExpect(sb, ['doctor'], 1);
  assert.match(r.stdout, /\[FAIL\] database/);
  assert.match(r.stdout, /not a database/);
  assert.match(r.stdout, /problem/);
  // serve and call refuse it too, with a message and no crash.
  const serve = await runCli(sb, ['serve']);
  assert.equal(serve.code, 1);
  assert.match(serve.stderr, /not a database/);
  assert.doesNotMatch(serve.stderr, /Sanitizer/);

  // A valid header with damaged pages: the integrity check catches it.
  const sb2 = sandbox(t);
  for (let i = 0; i < 40; i++)
    await runCliExpect(sb2, ['call', 'todo_action', JSON.stringify({ action: 'add', title: `t${i}`, description: 'x'.repeat(3000) })], 0);
  const img = readFileSync(sb2.dbPath);
  assert.ok(img.length > 8 * 4096, `database should span many pages (${img.length} bytes)`);
  const fd2 = openSync(sb2.dbPath, 'r+');
  const junk = Buffer.alloc(4096 * 4, 0xa5);
  writeSync(fd2, junk, 0, junk.length, 4096 * 2); // pages 3..6, keep page 1 (header, schema)
  closeSync(fd2);
  const r2 = await runCli(sb2, ['doctor']);
  assert.doesNotMatch(r2.stderr, /Sanitizer/);
  assert.notEqual(r2.code, 0, `doctor must fail on damaged pages:\n${r2.stdout}`);
  assert.match(r2.stdout, /\[FAIL\] (integrity|database)/);
});

test('ltmc doctor: fails on a bad config and on an unusable data dir', async (t) => {
  const sb = sandbox(t);
  const cfg = sb.file('bad.json', { data_dir: 5 });
  const r = await runCliExpect(sb, ['doctor', '--config', cfg], 1);
  assert.match(r.stdout, /\[FAIL\] configuration/);
  assert.match(r.stdout, /data_dir/);
  const unknown = await runCliExpect(sb, ['doctor', '--config', sb.file('bad2.json', { colour: 'blue' })], 1);
  assert.match(unknown.stdout, /colour/);

  const sb2 = sandbox(t);
  const blocker = sb2.file('blocker', 'a file');
  const r2 = await runCliExpect(sb2, ['doctor'], 1, { env: { LTMC_DATA_DIR: join(blocker, 'data'), LTMC_DB_PATH: join(blocker, 'data', 'ltmc.db') } });
  assert.match(r2.stdout, /\[FAIL\] data directory/);
});

const EMBEDDINGS_GLOVE = /^ {2}\[ok {2}\] embeddings +glove backend, model (glove-100d\S*), 100 dimensions, (\S+)$/m;
const EMBEDDINGS_HASH = /^ {2}\[ok {2}\] embeddings +hash backend, model (hash-\S+), 256 dimensions$/m;

test('ltmc doctor reports the embedder; a missing GloVe file is a warning and hash runs instead', async (t) => {
  const sb = sandbox(t);
  const r = await runCliExpect(sb, ['doctor'], 0);
  const m = r.stdout.match(EMBEDDINGS_GLOVE);
  assert.ok(m, `doctor lacks the glove embeddings line:\n${r.stdout}`);
  assert.equal(m[2], GLOVE);
  assert.match(r.stdout, /^ {2}\[ok {2}\] memories +0 memories, 0 chunks$/m);
  assert.match(r.stdout, /^ {2}\[ok {2}\] tools +11 tools offered$/m);
  assert.doesNotMatch(r.stdout, /\[warn\]/);

  const hash = await runCliExpect(sb, ['doctor'], 0, { env: { LTMC_EMBEDDING_BACKEND: 'hash' } });
  assert.match(hash.stdout, EMBEDDINGS_HASH);

  const missing = join(sb.root, 'no-such-glove.ltmcvec');
  const fb = await runCliExpect(sb, ['doctor'], 0, { env: { LTMC_GLOVE_PATH: missing } });
  assert.match(fb.stdout, new RegExp(`\\[warn\\] embeddings +glove word vectors not found \\(looked in ${missing.replace(/[.]/g, '\\.')}\\); using the hash embedder`));
  assert.match(fb.stdout, EMBEDDINGS_HASH);
  // serve says so on stderr, and still works (by words).
  const s = await connect(sb, { env: { LTMC_GLOVE_PATH: missing } });
  try {
    const st = await memory(s.client, { action: 'store', file_name: 'f', content: 'Fallback embedder still stores.' });
    assert.match(st.embedding_model, /^hash-/);
    assert.equal((await memory(s.client, { action: 'retrieve', query: 'fallback', top_k: 1 })).documents[0].doc_id, st.doc_id);
  } finally {
    const stderr = await closeClean(s);
    assert.match(stderr, /warning: glove word vectors not found/);
  }
  // Misconfigured backends fail doctor with a reason.
  const bert = await runCliExpect(sb, ['doctor'], 1, { env: { LTMC_EMBEDDING_BACKEND: 'bert' } });
  assert.match(bert.stdout, /\[FAIL\] embeddings +embedding_backend is bert but bert_model_dir is not set/);
});

test('ltmc reembed: vectors from another model are reported by doctor, then replaced', async (t) => {
  const sb = sandbox(t);
  // Stored with GloVe, in two projects.
  const s = await connect(sb);
  const texts = [
    ['pets', 'We adopted a puppy from the shelter last weekend and named him Biscuit.'],
    ['travel', 'My flight to Denver was delayed three hours because of a snowstorm.'],
    ['long', Array.from({ length: 30 }, (_, i) => `Line ${i} of a long memory about gardening and tomatoes.`).join(' ')],
  ];
  let chunks = 0;
  try {
    for (const [name, content] of texts) chunks += (await memory(s.client, { action: 'store', file_name: name, content })).chunk_count;
    chunks += (await memory(s.client, { action: 'store', file_name: 'p2', content: 'Another project entirely.', project: 'p2' })).chunk_count;
  } finally {
    await closeClean(s);
  }
  assert.ok(chunks >= 5);
  const clean = await runCliExpect(sb, ['doctor'], 0);
  assert.match(clean.stdout, new RegExp(`\\] memories +4 memories, ${chunks} chunks`));
  assert.doesNotMatch(clean.stdout, /\[warn\]/);

  // Switch to the hash embedder: doctor warns that the stored vectors are another model's.
  const hash = { env: { LTMC_EMBEDDING_BACKEND: 'hash' } };
  const before = await runCliExpect(sb, ['doctor'], 0, hash);
  assert.match(before.stdout, EMBEDDINGS_HASH);
  assert.match(before.stdout, new RegExp(`\\[warn\\] vectors +${chunks} of ${chunks} vectors come from another embedding model and are not searched by meaning; run \`ltmc reembed\``));

  // A server already running with the hash backend finds them by words only (no vector of its model) ...
  const h = await connect(sb, hash);
  const biscuit = async () => (await memory(h.client, { action: 'retrieve', query: 'Biscuit', top_k: 1 })).documents[0];
  assert.equal((await biscuit()).file_name, 'pets');
  assert.equal((await biscuit()).similarity_score, 0, 'no hash vector yet');

  const re = await runCliExpect(sb, ['reembed'], 0, hash);
  assert.match(re.stderr, /^reembed: 4 memories with hash-\S+$/m);
  assert.match(re.stderr, /^reembed: done, 4 memories now use hash-\S+$/m);
  assert.equal(re.stdout, '');

  const after = await runCliExpect(sb, ['doctor'], 0, hash);
  assert.doesNotMatch(after.stdout, /\[warn\]/, after.stdout);
  assert.match(after.stdout, /All checks passed/);
  assert.match(after.stdout, /\] memories +4 memories, \d+ chunks/);
  // And now GloVe is the other model.
  const back = await runCliExpect(sb, ['doctor'], 0);
  assert.match(back.stdout, /\[warn\] vectors +\d+ of \d+ vectors come from another embedding model/);

  // ... and picks the new vectors up without a restart; the memories are intact, in both projects.
  try {
    const list = await memory(h.client, { action: 'list' });
    assert.deepEqual(list.documents.map((d) => d.file_name).sort(), ['long', 'pets', 'travel']);
    const got = await biscuit();
    assert.equal(got.file_name, 'pets');
    assert.ok(got.similarity_score > 0.1, `searched by the new hash vectors too (similarity ${got.similarity_score})`);
    const p2 = await memory(h.client, { action: 'retrieve', query: 'project', project: 'p2' });
    assert.deepEqual(p2.documents.map((d) => d.file_name), ['p2']);
  } finally {
    await closeClean(h);
  }
  // Reembedding with GloVe again restores search by meaning.
  await runCliExpect(sb, ['reembed'], 0);
  const g = await connect(sb);
  try {
    const r = await memory(g.client, { action: 'retrieve', query: 'got a young dog from an animal rescue', top_k: 1 });
    assert.equal(r.documents[0].file_name, 'pets');
    assert.equal(r.documents[0].lexical_score, 0);
  } finally {
    await closeClean(g);
  }
  assert.doesNotMatch((await runCliExpect(sb, ['doctor'], 0)).stdout, /\[warn\]/);
  // An empty database reembeds nothing, successfully.
  const empty = sandbox(t);
  const none = await runCliExpect(empty, ['reembed'], 0);
  assert.match(none.stderr, /reembed: done, 0 memories/);
});
