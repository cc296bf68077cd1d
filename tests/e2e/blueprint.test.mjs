// blueprint_action through the SDK client: all eight actions with the
// original's result keys, the complexity heuristic, list filters before the
// limit, dependency checks (missing, self, duplicate, cycles named with a
// structured `cycle` in the error result), topological order, metadata
// updates that report only what they applied, deletion, projects.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blueprint, graph, withClient } from './helpers.mjs';

const create = async (c, title, extra = {}) =>
  (await blueprint(c, { action: 'create', title, description: `about ${title}`, ...extra })).blueprint_id;
const depend = (c, dependent_blueprint_id, prerequisite_blueprint_id, extra = {}, o) =>
  blueprint(c, { action: 'add_dependency', dependent_blueprint_id, prerequisite_blueprint_id, ...extra }, o);

test('create, list_project, update_metadata, get_dependencies, delete: result keys', async (t) => {
  await withClient(t, async (c) => {
    await c.listTools();
    const cr = await blueprint(c, {
      action: 'create', title: 'Auth service', description: 'JWT login', complexity: 'complex', complexity_score: 0.7,
      priority_score: 0.9, estimated_duration_minutes: 240, required_skills: ['c', 'sql'], tags: 'auth, api',
    });
    assert.match(cr.blueprint_id, /^bp_[0-9a-f]{8}$/);
    for (const k of ['blueprint_id', 'title', 'description', 'project_id', 'complexity', 'complexity_score', 'priority_score', 'estimated_duration_minutes', 'created_at', 'message'])
      assert.ok(k in cr, `create lacks ${k}`);
    assert.equal(cr.project_id, 'default');
    assert.deepEqual(cr.tags, ['auth', 'api']);
    assert.equal(cr.status, 'pending');

    const other = await create(c, 'Other', { priority_score: 0.1 });
    const ls = await blueprint(c, { action: 'list_project' });
    assert.deepEqual(ls.blueprints.map((b) => b.blueprint_id), [cr.blueprint_id, other]);
    for (const k of ['blueprints', 'project_id', 'total_found', 'limit_applied', 'filters']) assert.ok(k in ls, `list lacks ${k}`);
    assert.deepEqual(Object.keys(ls.blueprints[0]).sort(),
      ['blueprint_id', 'complexity', 'complexity_score', 'created_at', 'description', 'estimated_duration_minutes', 'priority_score', 'project_id', 'required_skills', 'status', 'tags', 'title']);

    const up = await blueprint(c, { action: 'update_metadata', blueprint_id: other, status: 'blocked', estimated_duration_minutes: 30 });
    assert.deepEqual(up.updated_fields, ['estimated_duration_minutes', 'status']);
    assert.equal(up.estimated_duration_minutes, 30);
    assert.equal(up.priority_score, 0.1);
    assert.equal(up.blueprint.status, 'blocked');
    assert.equal(typeof up.message, 'string');

    await depend(c, cr.blueprint_id, other, { is_critical: true, dependency_type: 'blocking' });
    const gd = await blueprint(c, { action: 'get_dependencies', blueprint_id: cr.blueprint_id });
    assert.equal(gd.dependency_count, 1);
    assert.equal(gd.has_critical_dependencies, true);
    assert.deepEqual(Object.keys(gd.dependencies[0]).sort(), ['created_at', 'dependency_type', 'is_critical', 'prerequisite_blueprint_id', 'prerequisite_title']);
    assert.equal(gd.dependencies[0].prerequisite_title, 'Other');

    const del = await blueprint(c, { action: 'delete', blueprint_id: other });
    assert.equal(del.blueprint_id, other);
    assert.equal(del.title, 'Other');
    assert.equal(del.dependencies_removed, 1);
    assert.equal((await blueprint(c, { action: 'get_dependencies', blueprint_id: cr.blueprint_id })).dependency_count, 0);
    const gone = await blueprint(c, { action: 'delete', blueprint_id: other }, { expectError: true });
    assert.equal(gone.error, `Blueprint with ID ${other} not found`);
  });
});

test('analyze_complexity: the original heuristic with whole-word keywords', async (t) => {
  await withClient(t, async (c) => {
    const a = await blueprint(c, {
      action: 'analyze_complexity', title: 'Build the distributed ingest pipeline now',
      description: 'Kubernetes and Docker with real-time monitoring; integrate the external API.', required_skills: ['a', 'b', 'c'],
    });
    // 0.1 (title) + 4 * 0.15 (kubernetes, docker, real-time, monitoring) + 0.1 (skills) + 3 * 0.1 (integrate, external, api), capped.
    assert.equal(a.complexity_score, 1);
    assert.equal(a.complexity_level, 'critical');
    assert.equal(a.estimated_duration_minutes, 720);
    assert.deepEqual(a.analysis, {
      title_complexity: true, description_length: 76, technical_keywords_found: 4, required_skills_count: 3,
      has_integration_aspects: true, keywords_matched: ['real-time', 'kubernetes', 'docker', 'monitoring', 'integrate', 'api', 'external'],
    });
    const plain = await blueprint(c, { action: 'analyze_complexity', title: 'Tidy', description: 'maintain the email said, rapid' });
    assert.equal(plain.complexity_score, 0, '"ai" and "api" are not found inside other words');
    assert.equal(plain.complexity_level, 'simple');
    assert.equal(plain.estimated_duration_minutes, 60);
  });
});

test('list_project: tags filter before the limit, min_complexity, project_id, paging', async (t) => {
  await withClient(t, async (c) => {
    const ids = [];
    for (let i = 0; i < 8; i++)
      ids.push(await create(c, `b${i}`, { priority_score: i / 10, tags: i % 2 ? ['odd'] : ['even'], complexity: ['simple', 'complex'][i % 2] }));
    const even = await blueprint(c, { action: 'list_project', tags: ['even'], limit: 3 });
    assert.deepEqual(even.blueprints.map((b) => b.blueprint_id), [ids[6], ids[4], ids[2]]);
    assert.equal(even.total_count, 4);
    assert.equal(even.has_more, true);
    assert.deepEqual(even.filters, { min_complexity: null, tags: ['even'] });
    const complex = await blueprint(c, { action: 'list_project', min_complexity: 'complex' });
    assert.deepEqual(complex.blueprints.map((b) => b.blueprint_id), [ids[7], ids[5], ids[3], ids[1]]);
    assert.equal((await blueprint(c, { action: 'list_project', limit: 3, offset: 6 })).total_found, 2);
    await create(c, 'labelled', { project_id: 'web' });
    assert.equal((await blueprint(c, { action: 'list_project', project_id: 'web' })).total_found, 1);
    assert.equal((await blueprint(c, { action: 'list_project', project: 'nobody' })).total_found, 0);
  });
});

test('add_dependency: existence, self, duplicates, and cycles named with their members', async (t) => {
  await withClient(t, async (c) => {
    const a = await create(c, 'A'), b = await create(c, 'B'), d = await create(c, 'D');
    const ok = await depend(c, a, b);
    assert.deepEqual([ok.dependent_blueprint_id, ok.prerequisite_blueprint_id, ok.dependency_type, ok.is_critical], [a, b, 'blocking', false]);
    assert.equal((await depend(c, a, b, {}, { expectError: true })).error, `Dependency already exists: ${a} already depends on ${b}`);
    assert.match((await depend(c, a, a, {}, { expectError: true })).error, /cannot depend on itself/);
    assert.equal((await depend(c, a, 'bp_00000000', {}, { expectError: true })).error, 'Blueprint with ID bp_00000000 not found');
    await depend(c, b, d);
    const cyc = await depend(c, d, a, {}, { expectError: true });
    assert.equal(cyc.error, `Dependency would create a cycle: ${d} -> ${a} -> ${b} -> ${d}`);
    assert.deepEqual(cyc.cycle, [d, a, b, d]);
    const two = await depend(c, b, a, {}, { expectError: true });
    assert.deepEqual(two.cycle, [b, a, b]);
  });
});

test('resolve_order: prerequisites first, ties by priority then complexity', async (t) => {
  await withClient(t, async (c) => {
    const hi = await create(c, 'hi', { priority_score: 0.9 });
    const midComplex = await create(c, 'mid-complex', { priority_score: 0.5, complexity_score: 0.9 });
    const midSimple = await create(c, 'mid-simple', { priority_score: 0.5, complexity_score: 0.1 });
    const lo = await create(c, 'lo', { priority_score: 0.1 });
    const top = await create(c, 'top', { priority_score: 1 });
    await depend(c, top, lo);
    const r = await blueprint(c, { action: 'resolve_order', blueprint_ids: [top, lo, midSimple, midComplex, hi] });
    assert.deepEqual(r.execution_order.map((x) => x.title), ['hi', 'mid-complex', 'mid-simple', 'lo', 'top']);
    assert.equal(r.total_blueprints, 5);
    assert.equal(r.dependencies_analyzed, 1);
    assert.equal(r.has_dependencies, true);
    const last = r.execution_order[4];
    assert.deepEqual(Object.keys(last).sort(), ['blueprint_id', 'complexity_score', 'prerequisites', 'priority_score', 'title']);
    assert.deepEqual(last.prerequisites, [lo]);
    const missing = await blueprint(c, { action: 'resolve_order', blueprint_ids: [hi, 'bp_deadbeef'] }, { expectError: true });
    assert.equal(missing.error, 'Blueprint not found: bp_deadbeef');
    const outside = await blueprint(c, { action: 'resolve_order', blueprint_ids: [top] });
    assert.deepEqual(outside.execution_order[0].unlisted_prerequisites, [lo]);
  });
});

test('argument errors and projects', async (t) => {
  await withClient(t, async (c) => {
    const err = async (args, re) => assert.match((await blueprint(c, args, { expectError: true })).error, re);
    await err({ action: 'create', title: 'x' }, /^Missing required parameter: description$/);
    await err({ action: 'create', title: 'x', description: 'y', complexity: 'epic' }, /expected one of: trivial, simple, medium, complex, critical/);
    await err({ action: 'create', title: 'x', description: 'y', priority_score: 3 }, /expected 0 to 1/);
    await err({ action: 'create', title: 'x', description: 'y', estimated_duration_minutes: 'long' }, /expected integer, got string/);
    await err({ action: 'update_metadata', blueprint_id: 'bp_00000000' }, /Nothing to update/);
    await err({ action: 'resolve_order', blueprint_ids: 5 }, /Invalid type for parameter 'blueprint_ids'/);
    await err({ action: 'plan' }, /^Unknown blueprint action: plan/);
    const a = await create(c, 'mine', { project: 'p1' });
    await err({ action: 'get_dependencies', blueprint_id: a, project: 'p2' }, /not found/);
    await err({ action: 'get_dependencies', blueprint_id: a }, /not found/);
    assert.equal((await blueprint(c, { action: 'get_dependencies', blueprint_id: a, project: 'p1' })).dependency_count, 0);
    const st = await graph(c, { action: 'stats', project: 'p1' });
    assert.equal(st.record_counts.blueprints, 1);
    assert.equal(st.nodes_by_kind.blueprint, 1);
  });
});
