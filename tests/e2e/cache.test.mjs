// cache_action through the SDK client: health_check components, stats with
// per tool and action percentiles and SLA status, retrieve served from L1
// and invalidated by a store (in this process and from a second process on
// the same database), flush by type and pattern, reset.
import assert from 'node:assert/strict';
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
