// sync_action through the SDK client: snapshots (code), validate, score,
// real drift (in-code docs, the last sync's snapshot, a markdown doc) in
// several languages, blueprint docs, and the inotify monitor (monitor,
// status, stop, health_check) including shutdown with a monitor running
// (stdio EOF and HTTP SIGTERM); bad input throughout.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, callTool, mergeEnv, sandbox, sleep, withClient, withRaw } from './helpers.mjs';

const sync = (c, args, o) => callTool(c, 'sync_action', args, o);

const PY_V1 = 'def load(path, strict=False):\n    """Load a file.\n\n    Args:\n        path: where\n        strict: fail on errors\n    """\n    return path\n\n' +
  'def dump(obj):\n    """Dump it somewhere."""\n    return obj\n\nclass Store:\n    """Keeps things."""\n\n    def put(self, key, value):\n        """Put a value under key."""\n        pass\n';
const PY_V2 = 'def load(source, strict=False):\n    """Load a file.\n\n    Args:\n        path: where\n        strict: fail on errors\n    """\n    return source\n\n' +
  'class Store:\n    """Keeps things."""\n\n    def store(self, key, value):\n        """Put a value under key."""\n        pass\n';
const README = '# Usage\n\nCall `load(path, strict)` then `dump(obj)`.\nUse `Store.put(key, value)` to keep a value.\n';

function project(t) {
  const sb = sandbox(t);
  sb.file('proj/pkg/io.py', PY_V1);
  sb.file('proj/README.md', README);
  sb.file('proj/lib/conv.ts', '/**\n * Converts.\n * @param input the text\n * @param radix the base\n */\nexport function conv(input: string): number { return 1; }\n');
  sb.file('proj/lib/geo.rs', '/// Area.\npub fn area(w: f64, h: f64) -> f64 { w * h }\n');
  sb.file('proj/.git/HEAD', 'ref\n');
  sb.file('outside/secret.py', 'def secret(): pass\n');
  symlinkSync(join(sb.root, 'outside'), join(sb.root, 'proj', 'escape'));
  writeFileSync(join(sb.root, 'proj', 'blob.py'), Buffer.from([0x00, 0x01, 0x02, 0xff]));
  writeFileSync(join(sb.root, 'proj', 'blob.md'), Buffer.from([0x60, 0x00, 0x60, 0xff]));
  return { sb, env: { LTMC_PROJECT_ROOTS: join(sb.root, 'proj') } };
}

test('code, validate, score and drift against the snapshot and a markdown doc', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    const one = await sync(c, { action: 'code', file_path: 'pkg/io.py', project_id: 'demo' });
    assert.equal(one.sync_report.functions_found, 3);
    assert.equal(one.sync_report.classes_found, 1);
    assert.equal(one.sync_report.previous_sync, null);
    assert.deepEqual(one.sync_report.functions.map((f) => f.name).sort(), ['Store.put', 'dump', 'load']);
    assert.deepEqual(one.sync_report.classes[0].methods, ['put']);

    // Nothing changed yet: no drift from the snapshot or the README.
    let d = await sync(c, { action: 'drift', file_path: 'pkg/io.py', doc_path: 'README.md' });
    assert.equal(d.drift_detected, false, JSON.stringify(d.drift_items));
    assert.deepEqual(d.compared_against, ['code_docs', 'snapshot', 'doc_path']);

    sb.file('proj/pkg/io.py', PY_V2);
    d = await sync(c, { action: 'drift', file_path: 'pkg/io.py', doc_path: 'README.md' });
    assert.equal(d.drift_detected, true);
    const got = d.drift_items.map((i) => `${i.source}:${i.kind}:${i.element}`);
    for (const want of ['code:param_stale:load', 'code:param_undocumented:load', 'snapshot:signature_changed:load', 'snapshot:removed:dump', 'snapshot:renamed:Store.put', 'doc:signature_changed:load', 'doc:removed:dump', 'doc:renamed:Store.put'])
      assert.ok(got.includes(want), `missing ${want} in ${JSON.stringify(got)}`);
    const sig = d.drift_items.find((i) => i.source === 'snapshot' && i.kind === 'signature_changed');
    assert.match(sig.detail, /parameter 'path' renamed to 'source'/);
    const docItem = d.drift_items.find((i) => i.source === 'doc' && i.kind === 'removed');
    assert.equal(docItem.line, 3, 'markdown line of the mention');
    assert.equal(d.drift_count, d.drift_items.length);
    assert.ok(d.counts.removed >= 2);

    // Re-syncing records the new state and reports what changed since.
    const again = await sync(c, { action: 'code', file_path: 'pkg/io.py' });
    assert.ok(again.sync_report.previous_sync);
    assert.ok(again.sync_report.changes_since_last_sync.some((x) => x.kind === 'removed' && x.element === 'dump'));
    d = await sync(c, { action: 'drift', file_path: 'pkg/io.py' });
    assert.ok(!d.drift_items.some((i) => i.source === 'snapshot'), 'the new snapshot matches');

    // Other languages: TypeScript JSDoc and Rust.
    const ts = await sync(c, { action: 'drift', file_path: 'lib/conv.ts' });
    assert.ok(ts.drift_items.some((i) => i.kind === 'param_stale' && /radix/.test(i.detail)), JSON.stringify(ts.drift_items));
    await sync(c, { action: 'code', directory_path: 'lib' });
    sb.file('proj/lib/geo.rs', '/// Area.\npub fn area(width: f64, h: f64, unit: u8) -> f64 { width * h }\n');
    const rs = await sync(c, { action: 'drift', file_path: 'lib/geo.rs' });
    const rsd = rs.drift_items.find((i) => i.kind === 'signature_changed');
    assert.ok(rsd, JSON.stringify(rs));
    assert.match(rsd.detail, /'w' removed|'w' renamed/);
    assert.match(rsd.detail, /'unit' added/);

    const v = await sync(c, { action: 'validate', file_path: 'pkg/io.py' });
    assert.equal(v.total_elements, 3);
    assert.ok(v.issues.some((i) => i.kind === 'param_stale' && i.element === 'load'));
    const s = await sync(c, { action: 'score', file_path: 'pkg/io.py', detailed_analysis: true });
    assert.equal(s.detailed_elements.length, 3);
    assert.ok(s.consistency_score > 0 && s.consistency_score < 1);
    assert.equal((await sync(c, { action: 'score', file_path: 'pkg/io.py' })).detailed_elements, undefined);

    // A directory sync walks recursively, skipping hidden directories; bad files are listed.
    const dir = await sync(c, { action: 'code', directory_path: '.' });
    assert.deepEqual(dir.sync_report.files.map((f) => f.file_path).sort(), ['lib/conv.ts', 'lib/geo.rs', 'pkg/io.py']);
    assert.deepEqual(dir.sync_report.files_failed.map((f) => f.path), ['blob.py']);
  }, { sandbox: sb, env });
});

test('bad input: outside the roots, binary, missing, both or neither path', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    for (const args of [
      { action: 'code', file_path: '../outside/secret.py' },
      { action: 'code', file_path: 'escape/secret.py' },
      { action: 'code', directory_path: '/etc' },
      { action: 'validate', file_path: '/etc/passwd' },
      { action: 'drift', file_path: 'pkg/io.py', doc_path: '../outside/secret.py' },
      { action: 'monitor', file_paths: ['/etc', '..'] },
    ]) {
      const r = await sync(c, args, { expectError: true });
      assert.match(r.error, /outside the project roots/, JSON.stringify(args));
    }
    assert.match((await sync(c, { action: 'code', file_path: 'blob.py' }, { expectError: true })).error, /binary|UTF-8/i);
    writeFileSync(join(sb.root, 'proj', 'huge.py'), Buffer.alloc(9 * 1024 * 1024, 'x = 1\n'));
    assert.match((await sync(c, { action: 'drift', file_path: 'huge.py' }, { expectError: true })).error, /too large/i);
    sb.file('proj/bad.rs', 'fn ok() {}\nfn broken( {\n');
    const bad = await sync(c, { action: 'code', file_path: 'bad.rs' });
    assert.equal(bad.sync_report.has_errors, true);
    assert.match((await sync(c, { action: 'drift', file_path: 'pkg/io.py', doc_path: 'blob.md' }, { expectError: true })).error, /binary/);
    assert.match((await sync(c, { action: 'score', file_path: 'nope.py' }, { expectError: true })).error, /not found/i);
    assert.match((await sync(c, { action: 'code' }, { expectError: true })).error, /either file_path or directory_path/);
    assert.match((await sync(c, { action: 'code', file_path: 'pkg/io.py', directory_path: 'pkg' }, { expectError: true })).error, /either/);
    assert.match((await sync(c, { action: 'blueprint', blueprint_id: 'bp_00000000' }, { expectError: true })).error, /not found/);
  }, { sandbox: sb, env });
});

test('blueprint renders the stored blueprint with its JSON lists and dependencies', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    const a = await callTool(c, 'blueprint_action', { action: 'create', title: 'Auth service', description: 'Login and tokens.', project_id: 'web', required_skills: ['c, sockets', 'crypto'], tags: ['security'] });
    const b = await callTool(c, 'blueprint_action', { action: 'create', title: 'Database', description: 'Schema.', project_id: 'web' });
    await callTool(c, 'blueprint_action', { action: 'add_dependency', dependent_blueprint_id: a.blueprint_id, prerequisite_blueprint_id: b.blueprint_id });
    const r = await sync(c, { action: 'blueprint', blueprint_id: a.blueprint_id });
    assert.equal(r.project_id, 'web');
    assert.match(r.documentation_content, /^# Auth service\n\nLogin and tokens\./);
    assert.match(r.documentation_content, /- c, sockets\n- crypto\n/, 'skills parsed as JSON, not split on commas');
    assert.match(r.documentation_content, /## Architecture[\s\S]*- security/);
    assert.match(r.documentation_content, new RegExp(`Depends on:\\*\\*\\n- ${b.blueprint_id} \\(Database\\)`));
    const only = await sync(c, { action: 'blueprint', blueprint_id: a.blueprint_id, sections: ['requirements'] });
    assert.doesNotMatch(only.documentation_content, /Login and tokens|Architecture/);
    await sync(c, { action: 'blueprint', blueprint_id: a.blueprint_id, project_id: 'other' }, { expectError: true });
    assert.match((await sync(c, { action: 'blueprint', blueprint_id: a.blueprint_id, sections: ['bogus'] }, { expectError: true })).error, /Unknown section 'bogus'/);
    const st = await sync(c, { action: 'status' });
    assert.equal(st.total_blueprints, 2);
    assert.equal(st.in_progress_blueprints, 0);
  }, { sandbox: sb, env });
});

async function until(fn, ms, what) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('monitor records changes, re-checks them for drift; status, health and stop report it', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    const idle = await sync(c, { action: 'status' });
    assert.equal(idle.real_time_monitoring.is_active, false);
    await sync(c, { action: 'code', directory_path: 'pkg' });
    const m = await sync(c, { action: 'monitor', file_paths: ['.', '/etc/passwd'] });
    assert.equal(m.monitor_started, true);
    assert.equal(m.watch_count, 3, JSON.stringify(m)); // proj, pkg, lib; escape is a symlink (not followed), .git hidden
    assert.equal(m.invalid_paths.length, 1);
    assert.match(m.invalid_paths[0].error, /outside the project roots/);

    const t0 = Date.now();
    sb.file('proj/pkg/io.py', PY_V2);
    const ev = await until(async () => {
      const s = await sync(c, { action: 'status' });
      return s.real_time_monitoring.total_events >= 1 && s;
    }, 5000, 'the event');
    const noticed = Date.now() - t0;
    assert.ok(noticed < 5000);
    assert.equal(ev.real_time_monitoring.is_active, true);
    assert.match(ev.real_time_monitoring.last_event.path, /pkg\/io\.py$/);
    const done = await until(async () => {
      const s = await sync(c, { action: 'status' });
      return s.recent_events[0]?.status === 'processed' && s.pending_changes.documentation_updates === 0 && s;
    }, 5000, 'the re-check');
    const res = done.recent_events[0].result;
    assert.equal(res.drift_detected, true);
    assert.ok(res.drift_items.some((i) => i.kind === 'removed' && i.element === 'dump'), JSON.stringify(res));
    assert.equal(done.real_time_monitoring.processed_events, done.real_time_monitoring.total_events);

    const h = await callTool(c, 'cache_action', { action: 'health_check' });
    assert.equal(h.components.file_watcher.status, 'healthy');
    assert.equal(h.components.file_watcher.watched_directories, 3);
    assert.ok(h.components.file_watcher.events_recorded >= 1);

    // Deletions are events; hidden directories are not watched.
    sb.file('proj/.git/x.py', 'x = 1\n');
    unlinkSync(join(sb.root, 'proj', 'lib', 'geo.rs'));
    await until(async () => (await sync(c, { action: 'status' })).recent_events.some((e) => e.event === 'deleted'), 5000, 'the deletion');
    const s = await sync(c, { action: 'status' });
    assert.ok(!s.recent_events.some((e) => e.path.includes('.git')));

    const stop = await sync(c, { action: 'stop' });
    assert.equal(stop.stopped, true);
    assert.equal((await sync(c, { action: 'status' })).real_time_monitoring.is_active, false);
    const h2 = await callTool(c, 'cache_action', { action: 'health_check' });
    assert.equal(h2.components.file_watcher.status, 'not_configured');
    assert.equal((await sync(c, { action: 'stop' })).stopped, false);
    // Monitoring again, then the session ends with it running: a clean exit (withClient checks).
    await sync(c, { action: 'monitor', file_paths: ['pkg/io.py'] });
  }, { sandbox: sb, env });
});

test('monitor: watch_max_dirs bounds the watches; a markdown change is checked against the snapshot', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    await sync(c, { action: 'code', directory_path: 'pkg' });
    const m = await sync(c, { action: 'monitor', file_paths: ['.'] });
    assert.equal(m.watch_count, 1);
    assert.equal(m.truncated, true);
    assert.equal((await sync(c, { action: 'status' })).real_time_monitoring.truncated, true);
    sb.file('proj/README.md', '# Usage\n\nCall `load(path, mode)`.\n');
    const s = await until(async () => {
      const st = await sync(c, { action: 'status' });
      return st.recent_events[0]?.status === 'processed' && st;
    }, 5000, 'the document re-check');
    const res = s.recent_events[0].result;
    assert.equal(res.kind, 'document');
    assert.ok(res.drift_items.some((i) => i.kind === 'signature_changed' && /'mode'/.test(i.detail)), JSON.stringify(res));
    await sync(c, { action: 'stop' });
  }, { sandbox: sb, env: { ...env, LTMC_WATCH_MAX_DIRS: '1' } });
});

test('HTTP: SIGTERM with a monitor running exits cleanly', async (t) => {
  const { sb, env } = project(t);
  const proc = spawn(BIN, ['serve', '--http', '127.0.0.1:0'], { env: mergeEnv(sb.env, env), cwd: sb.root, stdio: ['ignore', 'pipe', 'pipe'] });
  sb.children.add(proc);
  let stderr = '';
  const exited = new Promise((res) => proc.once('close', (code, signal) => res({ code, signal })));
  const url = await new Promise((res, rej) => {
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) res(m[1]);
    });
    exited.then(() => rej(new Error(`exited early: ${stderr}`)));
  });
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
  const client = new Client({ name: 'sync-http', version: '1' }, { capabilities: {} });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const m = await callTool(client, 'sync_action', { action: 'monitor', file_paths: ['pkg'] });
  assert.equal(m.watch_count, 1);
  sb.file('proj/pkg/io.py', PY_V2);
  await until(async () => (await callTool(client, 'sync_action', { action: 'status' })).real_time_monitoring.total_events >= 1, 5000, 'the event');
  await client.close();
  proc.kill('SIGTERM');
  const st = await exited;
  assert.doesNotMatch(stderr, /LeakSanitizer|AddressSanitizer|runtime error:/, stderr);
  assert.equal(st.signal, null);
  assert.equal(st.code, 0, stderr);
});

// Counted on the raw stream: the SDK dispatches notifications a tick later
// than responses, so progress written just before a fast reply can be dropped
// on its side although it was sent.
test('sync over a tree and API docs of a tree report progress per file when asked', async (t) => {
  const { sb, env } = project(t);
  await withRaw(t, async (raw) => {
    await raw.initialize();
    const call = (id, args, token) => raw.request(id, 'tools/call', { name: args.name, arguments: args.arguments, ...(token === undefined ? {} : { _meta: { progressToken: token } }) });
    const progressOf = (token) => raw.messages.filter((m) => m.method === 'notifications/progress' && m.params.progressToken === token).map((m) => m.params);
    const res = (await call(2, { name: 'sync_action', arguments: { action: 'code', directory_path: '.', project_id: 'demo' } }, 'tree')).result.structuredContent;
    const files = res.sync_report.files_synced + res.sync_report.files_failed.length;
    assert.ok(files >= 3, `a tree of several files: ${files}`);
    const seen = progressOf('tree');
    assert.deepEqual(seen.map((p) => p.progress), Array.from({ length: files }, (_, i) => i + 1), 'one report per file, counting up');
    assert.ok(seen.every((p) => typeof p.message === 'string' && p.message.length > 0 && !p.message.startsWith('/')), 'messages name files by relative path');
    const idxResponse = raw.messages.findIndex((m) => m.id === 2);
    assert.ok(raw.messages.findIndex((m) => m.params?.progressToken === 'tree') < idxResponse, 'progress comes before the response');
    const docs = (await call(3, { name: 'documentation_action', arguments: { action: 'generate_api_docs', project_id: 'demo', directory_path: '.' } }, 7)).result.structuredContent;
    assert.equal(progressOf(7).length, docs.files_processed + docs.files_failed, 'one report per file of the tree');
    // Without a token nothing is sent.
    const before = raw.messages.filter((m) => m.method === 'notifications/progress').length;
    await call(4, { name: 'sync_action', arguments: { action: 'code', directory_path: '.', project_id: 'demo' } });
    assert.equal(raw.messages.filter((m) => m.method === 'notifications/progress').length, before);
  }, { sandbox: sb, env });
});
