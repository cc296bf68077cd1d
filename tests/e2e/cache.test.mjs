// cache_action through the SDK client: health_check components, stats with
// per tool and action percentiles and SLA status, retrieve served from L1
// and invalidated by a store (in this process and from a second process on
// the same database), flush by type and pattern, reset.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { test } from 'node:test';
import { cache, connect, closeAllClean, memory, sandbox, todo, withClient } from './helpers.mjs';

test('health_check: every component with status and latency, and an overall status', async (t) => {
  await withClient(t, async (c) => {
    const h = await cache(c, { action: 'health_check', deep: true });
    assert.equal(h.status, 'healthy');
    for (const name of ['sqlite', 'embedder', 'vector_index', 'l1_cache', 'redis', 'file_watcher']) {
      assert.equal(typeof h.components[name].status, 'string', name);
      assert.equal(typeof h.components[name].latency_ms, 'number', name);
    }
    assert.equal(h.components.sqlite.integrity, 'ok');
    assert.equal(h.components.redis.status, 'not_configured');
    const vi = h.components.vector_index;
    assert.equal(vi.near_duplicate_prefilter, false, 'off below 4,096 rows');
    for (const k of ['rows', 'bytes', 'near_duplicate_rows_checked', 'near_duplicate_rows_scored']) assert.equal(typeof vi[k], 'number', k);
    assert.equal(typeof h.response_time, 'number');
    assert.ok(h.database_connections);
  });
});

test('stats: tiers, per tool and action percentiles, SLA targets', async (t) => {
  await withClient(t, async (c) => {
    await todo(c, { action: 'add', title: 'x' });
    await todo(c, { action: 'complete', todo_id: 12345 }, { expectError: true });
    const s = await cache(c, { action: 'stats' });
    assert.equal(s.tools.todo_action.add.calls, 1);
    assert.equal(s.tools.todo_action.complete.error_rate, 1);
    for (const k of ['p50_ms', 'p95_ms', 'p99_ms']) assert.equal(typeof s.tools.todo_action.add[k], 'number');
    assert.equal(s.performance_sla.todo_action.target_ms, 500);
    assert.equal(s.performance_sla.todo_action.status, 'ok');
    for (const tier of ['embeddings', 'queries']) {
      for (const k of ['hits', 'misses', 'entries', 'bytes', 'max_entries', 'max_bytes'])
        assert.equal(typeof s.stats.l1[tier][k], 'number', `${tier}.${k}`);
    }
    assert.ok(s.response_time < 50);
  });
});

test('retrieve is served from L1 and invalidated by writes from this and another process', async (t) => {
  const sb = sandbox(t);
  const a = await connect(sb);
  const b = await connect(sb);
  try {
    await memory(a.client, { action: 'store', file_name: 'one.md', content: 'The release train leaves on Fridays.' });
    const q = { action: 'retrieve', query: 'release train' };
    const r1 = await memory(a.client, q);
    const before = (await cache(a.client, { action: 'stats' })).stats.l1.queries.hits;
    const r2 = await memory(a.client, q);
    assert.deepEqual(r2, r1);
    assert.equal((await cache(a.client, { action: 'stats' })).stats.l1.queries.hits, before + 1);

    await memory(b.client, { action: 'store', file_name: 'two.md', content: 'Release train notes: freeze on Thursday.' });
    const r3 = await memory(a.client, q);
    assert.equal(r3.total_found, r1.total_found + 1, 'a write by another process is seen');
    await memory(a.client, { action: 'store', file_name: 'three.md', content: 'The release train was cancelled.' });
    const r4 = await memory(a.client, q);
    assert.equal(r4.total_found, r1.total_found + 2, 'a write by this process is seen');

    const f = await cache(a.client, { action: 'flush', cache_type: 'queries', pattern: '*release*' });
    assert.ok(f.total_keys_deleted >= 1);
    assert.equal((await cache(a.client, { action: 'stats' })).stats.l1.queries.entries, 0);
    const reset = await cache(a.client, { action: 'reset' });
    assert.equal(reset.success, true);
    const s = await cache(a.client, { action: 'stats' });
    assert.equal(s.stats.l1.queries.hits, 0);
    assert.equal(s.stats.l1.embeddings.entries, 0);
    const bad = await cache(a.client, { action: 'flush', cache_type: 'everything' }, { expectError: true });
    assert.match(bad.error, /Invalid value for parameter 'cache_type'/);
  } finally {
    await closeAllClean(a, b);
  }
});

test('cache_l1_entries=0 turns the L1 tier off', async (t) => {
  await withClient(t, async (c) => {
    await memory(c, { action: 'store', file_name: 'one.md', content: 'alpha beta' });
    await memory(c, { action: 'retrieve', query: 'alpha' });
    await memory(c, { action: 'retrieve', query: 'alpha' });
    const s = await cache(c, { action: 'stats' });
    assert.equal(s.stats.l1.queries.hits, 0);
    assert.equal(s.stats.l1.queries.entries, 0);
  }, { env: { LTMC_CACHE_L1_ENTRIES: '0' } });
});

// ---- with a real Redis (L2), started on a free loopback port and stopped ----

const freePort = () => new Promise((res, rej) => {
  const s = createServer();
  s.once('error', rej);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});

async function startRedis(t) {
  const port = await freePort();
  const proc = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  t.after(() => new Promise((res) => { if (proc.exitCode !== null) return res(); proc.once('exit', res); proc.kill('SIGTERM'); }));
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((res) => {
      const c = tcpConnect(port, '127.0.0.1', () => { c.end(); res(true); });
      c.once('error', () => res(false));
    });
    if (up) return { port, proc };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}

test('L2: query embeddings shared through Redis between processes; flush stays in ltmc keys', { skip: !existsSync('/usr/bin/redis-server') && 'redis-server not installed' }, async (t) => {
  const { port } = await startRedis(t);
  const sb = sandbox(t);
  const env = { LTMC_REDIS_URL: `redis://127.0.0.1:${port}/0` };
  const a = await connect(sb, { env });
  const b = await connect(sb, { env });
  try {
    await memory(a.client, { action: 'store', file_name: 'x.md', content: 'Shared cache across processes.' });
    await memory(a.client, { action: 'retrieve', query: 'shared cache' });
    await memory(b.client, { action: 'retrieve', query: 'shared cache' });
    const sb2 = await cache(b.client, { action: 'stats' });
    assert.equal(sb2.stats.l2.configured, true);
    assert.equal(sb2.stats.l2.connected, true);
    assert.ok(sb2.stats.l2.hits >= 1, 'the second process found the embedding in Redis');
    assert.ok(sb2.stats.l2.embedding_cache_count >= 1);
    const h = await cache(b.client, { action: 'health_check' });
    assert.equal(h.components.redis.status, 'healthy');
    assert.equal(typeof h.components.redis.redis_version, 'string');
    const f = await cache(a.client, { action: 'flush', cache_type: 'all' });
    assert.ok(f.breakdown.redis_embeddings >= 1);
    assert.equal((await cache(a.client, { action: 'stats' })).stats.l2.embedding_cache_count, 0);
  } finally {
    await closeAllClean(a, b);
  }
});

test('L2 configured but unreachable: other tools work, health is degraded', async (t) => {
  const port = await freePort();
  await withClient(t, async (c) => {
    await memory(c, { action: 'store', file_name: 'x.md', content: 'no redis here' });
    const r = await memory(c, { action: 'retrieve', query: 'redis' });
    assert.equal(r.total_found, 1);
    const h = await cache(c, { action: 'health_check' });
    assert.equal(h.components.redis.status, 'degraded');
    assert.equal(h.status, 'degraded');
    assert.match(h.components.redis.error, /Redis is unreachable/);
    const s = await cache(c, { action: 'stats' });
    assert.equal(s.stats.l2.connected, false);
  }, { env: { LTMC_REDIS_HOST: '127.0.0.1', LTMC_REDIS_PORT: String(port) } });
});
