// todo_action through the SDK client: every action, argument validation,
// ordering, filters, search escaping, projects, and state transitions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sleep, todo, withClient } from './helpers.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

test('add, list, complete, search, update, delete: result keys', async (t) => {
  await withClient(t, async (c) => {
    await c.listTools(); // lets the SDK validate results against outputSchema

    const add = await todo(c, { action: 'add', title: 'Write tests', description: 'e2e suite', priority: 'high' });
    assert.equal(add.success, true);
    assert.ok(Number.isInteger(add.todo_id) && add.todo_id > 0);
    assert.equal(add.title, 'Write tests');
    assert.equal(add.description, 'e2e suite');
    assert.equal(add.priority, 'high');
    assert.equal(add.status, 'pending');
    assert.match(add.created_at, ISO);
    assert.equal(add.project, 'default');
    assert.equal(typeof add.message, 'string');

    const dflt = await todo(c, { action: 'add', title: 'Defaults' });
    assert.equal(dflt.priority, 'medium');
    assert.equal(dflt.description, '');
    assert.ok(dflt.todo_id > add.todo_id);

    const list = await todo(c, { action: 'list' });
    for (const k of ['todos', 'status_filter', 'total_found', 'total_count', 'limit_applied', 'offset', 'has_more', 'project'])
      assert.ok(k in list, `list result lacks ${k}`);
    assert.equal(list.status_filter, 'all');
    assert.equal(list.total_found, 2);
    assert.equal(list.total_count, 2);
    assert.equal(list.limit_applied, 10);
    assert.equal(list.has_more, false);
    const item = list.todos.find((x) => x.todo_id === add.todo_id);
    assert.deepEqual(Object.keys(item).sort(),
      ['completed', 'completed_at', 'created_at', 'description', 'priority', 'status', 'title', 'todo_id', 'updated_at'].sort());
    assert.equal(item.completed, false);
    assert.equal(item.completed_at, null);
    assert.equal(item.created_at, add.created_at);

    const done = await todo(c, { action: 'complete', todo_id: add.todo_id });
    assert.equal(done.todo_id, add.todo_id);
    assert.equal(done.title, 'Write tests');
    assert.equal(done.status, 'completed');
    assert.match(done.completed_at, ISO);
    assert.equal(done.already_completed, false);

    const found = await todo(c, { action: 'search', query: 'WRITE' });
    assert.equal(found.search_query, 'WRITE');
    assert.equal(found.total_found, 1);
    assert.equal(found.todos[0].todo_id, add.todo_id);
    assert.equal(found.todos[0].completed, true);
    assert.equal(found.todos[0].status, 'completed');
    const byDesc = await todo(c, { action: 'search', query: 'e2e' });
    assert.equal(byDesc.total_found, 1, 'search looks at descriptions too');

    const upd = await todo(c, { action: 'update', todo_id: dflt.todo_id, title: 'Renamed', priority: 'urgent' });
    assert.equal(upd.todo_id, dflt.todo_id);
    assert.deepEqual(upd.updated_fields.sort(), ['priority', 'title']);
    assert.equal(upd.todo.title, 'Renamed');
    assert.equal(upd.todo.priority, 'urgent');
    assert.equal(upd.todo.description, '', 'fields not given stay as they were');
    assert.equal(upd.todo.status, 'pending');

    const del = await todo(c, { action: 'delete', todo_id: dflt.todo_id });
    assert.equal(del.deleted, true);
    assert.equal(del.todo_id, dflt.todo_id);
    assert.equal(del.title, 'Renamed');
    const after = await todo(c, { action: 'list' });
    assert.deepEqual(after.todos.map((x) => x.todo_id), [add.todo_id]);
    const again = await todo(c, { action: 'delete', todo_id: dflt.todo_id }, { expectError: true });
    assert.equal(again.error, `Todo with ID ${dflt.todo_id} not found`);
  });
});

test('argument validation errors are isError results with clear messages', async (t) => {
  await withClient(t, async (c) => {
    const cases = [
      [{ action: 'add' }, (e) => assert.equal(e, 'Missing required parameter: title')],
      [{ action: 'add', title: '   ' }, (e) => assert.match(e, /'title' must not be empty/)],
      [{ action: 'add', title: '' }, (e) => assert.match(e, /title.*empty/)],
      [{ action: 'add', title: 'x', priority: 'critical' },
        (e) => { assert.match(e, /priority/); assert.match(e, /critical/); assert.match(e, /low, medium, high, urgent/); }],
      [{ action: 'add', title: 42 }, (e) => { assert.match(e, /'title'/); assert.match(e, /string/); }],
      [{ action: 'add', title: 'x'.repeat(1001) }, (e) => assert.match(e, /title.*too long/)],
      [{ action: 'list', limit: 'ten' }, (e) => { assert.match(e, /'limit'/); assert.match(e, /integer/); }],
      [{ action: 'list', limit: 2.5 }, (e) => { assert.match(e, /'limit'/); assert.match(e, /integer/); }],
      [{ action: 'list', limit: 0 }, (e) => assert.match(e, /'limit'/)],
      [{ action: 'list', limit: 100000 }, (e) => assert.match(e, /'limit'/)],
      [{ action: 'list', offset: -1 }, (e) => assert.match(e, /'offset'/)],
      [{ action: 'list', status: 'done' }, (e) => assert.match(e, /status/)],
      [{ action: 'x' }, (e) => assert.match(e, /^Unknown todo action: x\b/)],
      [{}, (e) => assert.equal(e, 'Missing required parameter: action')],
      [{ action: '' }, (e) => assert.equal(e, 'Missing required parameter: action')],
      [{ action: 5 }, (e) => assert.match(e, /'action'.*string/)],
      [{ action: 'complete' }, (e) => assert.equal(e, 'Missing required parameter: todo_id')],
      [{ action: 'complete', todo_id: '1' }, (e) => assert.match(e, /'todo_id'.*integer/)],
      [{ action: 'complete', todo_id: 999 }, (e) => assert.equal(e, 'Todo with ID 999 not found')],
      [{ action: 'update', todo_id: 999, title: 'x' }, (e) => assert.equal(e, 'Todo with ID 999 not found')],
      [{ action: 'delete', todo_id: 999 }, (e) => assert.equal(e, 'Todo with ID 999 not found')],
      [{ action: 'search' }, (e) => assert.equal(e, 'Missing required parameter: query')],
      [{ action: 'list', bogus: 1 }, (e) => { assert.match(e, /Unknown parameter/); assert.match(e, /bogus/); }],
      [{ action: 'add', title: 'x', project: '  ' }, (e) => assert.match(e, /project/)],
      [{ action: 'add', title: 'x', project: 'a\nb' }, (e) => assert.match(e, /project.*control/)],
      [{ action: 'add', title: 'a\u0000b' }, (e) => assert.match(e, /NUL/)],
      [{ action: 'add', title: 'x', project: 'p'.repeat(129) }, (e) => assert.match(e, /project.*too long/)],
    ];
    for (const [args, check] of cases) {
      const r = await todo(c, args, { expectError: true });
      assert.equal(r.success, false);
      check(r.error);
    }
    const { total_count } = await todo(c, { action: 'list' });
    assert.equal(total_count, 0, 'no failed call may have written anything');
    // Update with nothing to change is an error; a real todo is needed to get past lookup.
    const { todo_id } = await todo(c, { action: 'add', title: 'real' });
    const nothing = await todo(c, { action: 'update', todo_id }, { expectError: true });
    assert.match(nothing.error, /Nothing to update/);
    const blank = await todo(c, { action: 'update', todo_id, title: '  ' }, { expectError: true });
    assert.match(blank.error, /title/);
    assert.equal((await todo(c, { action: 'list' })).todos[0].title, 'real', 'a blank title is not stored');
    // Accepted forms: enum values are case-insensitive and canonicalised; 5.0 is an integer.
    const up = await todo(c, { action: 'add', title: 'caps', priority: 'URGENT' });
    assert.equal(up.priority, 'urgent');
    const lim = await todo(c, { action: 'list', limit: 1.0 });
    assert.equal(lim.limit_applied, 1);
    assert.equal(lim.todos.length, 1);
    assert.equal(lim.has_more, true);
  });
});

test('list order: priority (urgent, high, medium, low), then newest first', async (t) => {
  await withClient(t, async (c) => {
    const add = async (title, priority) => (await todo(c, { action: 'add', title, priority, description: 'tagged' })).todo_id;
    const ids = {};
    for (const [title, prio] of [['A', 'low'], ['B', 'urgent'], ['C', 'medium'], ['D', 'urgent'], ['E', 'high'], ['F', 'low'], ['G', 'medium']]) {
      ids[title] = await add(title, prio);
      await sleep(3); // distinct timestamps
    }
    const list = await todo(c, { action: 'list', limit: 100 });
    assert.deepEqual(list.todos.map((x) => x.title), ['D', 'B', 'E', 'G', 'C', 'F', 'A']);
    const search = await todo(c, { action: 'search', query: 'TAGGED', limit: 100 });
    assert.deepEqual(search.todos.map((x) => x.title), ['D', 'B', 'E', 'G', 'C', 'F', 'A'], 'search uses the same order');

    // Paging walks the same order.
    const p1 = await todo(c, { action: 'list', limit: 3 });
    const p2 = await todo(c, { action: 'list', limit: 3, offset: 3 });
    const p3 = await todo(c, { action: 'list', limit: 3, offset: 6 });
    assert.deepEqual([...p1.todos, ...p2.todos, ...p3.todos].map((x) => x.title), ['D', 'B', 'E', 'G', 'C', 'F', 'A']);
    assert.equal(p1.has_more, true);
    assert.equal(p3.has_more, false);
    assert.equal(p3.total_count, 7);
    assert.equal(p3.total_found, 1);
  });
});

test('status filter on list and search', async (t) => {
  await withClient(t, async (c) => {
    const a = await todo(c, { action: 'add', title: 'alpha task' });
    const b = await todo(c, { action: 'add', title: 'beta task' });
    const g = await todo(c, { action: 'add', title: 'gamma task' });
    await todo(c, { action: 'complete', todo_id: a.todo_id });
    await todo(c, { action: 'update', todo_id: b.todo_id, status: 'in_progress' });
    const titles = (r) => r.todos.map((x) => x.title).sort();
    const pending = await todo(c, { action: 'list', status: 'pending' });
    assert.deepEqual(titles(pending), ['gamma task']);
    assert.equal(pending.status_filter, 'pending');
    assert.deepEqual(titles(await todo(c, { action: 'list', status: 'completed' })), ['alpha task']);
    assert.deepEqual(titles(await todo(c, { action: 'list', status: 'in_progress' })), ['beta task']);
    const all = await todo(c, { action: 'list', status: 'all' });
    assert.equal(all.total_count, 3);
    assert.equal(all.status_filter, 'all');
    assert.deepEqual(titles(await todo(c, { action: 'search', query: 'task', status: 'completed' })), ['alpha task']);
    assert.deepEqual(titles(await todo(c, { action: 'search', query: 'task', status: 'pending' })), ['gamma task']);
    assert.equal((await todo(c, { action: 'search', query: 'task' })).total_count, 3);
    assert.equal((await todo(c, { action: 'search', query: 'task', status: 'all' })).total_count, 3);
    assert.equal(g.status, 'pending');
  });
});

test('search: case-insensitive substring, % _ and \\ match literally', async (t) => {
  await withClient(t, async (c) => {
    for (const title of ['100% done', '100 percent', 'a_b', 'axb', 'back\\slash', 'backslash', 'Mixed CASE Title'])
      await todo(c, { action: 'add', title });
    const q = async (query) => (await todo(c, { action: 'search', query, limit: 100 })).todos.map((x) => x.title).sort();
    assert.deepEqual(await q('%'), ['100% done']);
    assert.deepEqual(await q('0%'), ['100% done']);
    assert.deepEqual(await q('_'), ['a_b']);
    assert.deepEqual(await q('a_b'), ['a_b']);
    assert.deepEqual(await q('\\'), ['back\\slash']);
    assert.deepEqual(await q('k\\s'), ['back\\slash']);
    assert.deepEqual(await q('mixed case'), ['Mixed CASE Title']);
    assert.deepEqual(await q('100'), ['100 percent', '100% done']);
    assert.deepEqual(await q('zzz'), []);
    const r = await todo(c, { action: 'search', query: "'; DROP TABLE todos; --" });
    assert.equal(r.total_found, 0);
    assert.equal((await todo(c, { action: 'list' })).total_count, 7);
  });
});

test('projects are isolated', async (t) => {
  await withClient(t, async (c) => {
    const a = await todo(c, { action: 'add', title: 'secret of A', project: 'proj-a' });
    assert.equal(a.project, 'proj-a');
    const b = await todo(c, { action: 'add', title: 'only in B', project: 'proj-b' });

    const listA = await todo(c, { action: 'list', project: 'proj-a' });
    assert.deepEqual(listA.todos.map((x) => x.title), ['secret of A']);
    assert.equal(listA.project, 'proj-a');
    const listB = await todo(c, { action: 'list', project: 'proj-b' });
    assert.deepEqual(listB.todos.map((x) => x.title), ['only in B']);
    assert.equal((await todo(c, { action: 'list' })).total_count, 0, 'the default project sees neither');
    assert.equal((await todo(c, { action: 'search', query: 'secret', project: 'proj-b' })).total_found, 0);

    const err = `Todo with ID ${a.todo_id} not found`;
    assert.equal((await todo(c, { action: 'complete', todo_id: a.todo_id, project: 'proj-b' }, { expectError: true })).error, err);
    assert.equal((await todo(c, { action: 'update', todo_id: a.todo_id, title: 'hijack', project: 'proj-b' }, { expectError: true })).error, err);
    assert.equal((await todo(c, { action: 'delete', todo_id: a.todo_id, project: 'proj-b' }, { expectError: true })).error, err);
    assert.equal((await todo(c, { action: 'complete', todo_id: a.todo_id }, { expectError: true })).error, err);

    const still = (await todo(c, { action: 'list', project: 'proj-a' })).todos[0];
    assert.equal(still.title, 'secret of A');
    assert.equal(still.status, 'pending');
    assert.ok(b.todo_id !== a.todo_id);
    // Project names are case-sensitive.
    assert.equal((await todo(c, { action: 'list', project: 'PROJ-A' })).total_count, 0);
  });
});

test('LTMC_PROJECT sets the default project', async (t) => {
  await withClient(
    t,
    async (c) => {
      const r = await todo(c, { action: 'add', title: 'x' });
      assert.equal(r.project, 'env-project');
      assert.equal((await todo(c, { action: 'list', project: 'env-project' })).total_count, 1);
      assert.equal((await todo(c, { action: 'list', project: 'default' })).total_count, 0);
    },
    { env: { LTMC_PROJECT: 'env-project' } },
  );
});

test('complete is idempotent', async (t) => {
  await withClient(t, async (c) => {
    const { todo_id } = await todo(c, { action: 'add', title: 'once' });
    const first = await todo(c, { action: 'complete', todo_id });
    assert.equal(first.already_completed, false);
    await sleep(5);
    const second = await todo(c, { action: 'complete', todo_id });
    assert.equal(second.success, true);
    assert.equal(second.already_completed, true);
    assert.equal(second.status, 'completed');
    assert.equal(second.completed_at, first.completed_at, 'completed_at keeps the first completion time');
    const item = (await todo(c, { action: 'list' })).todos[0];
    assert.equal(item.completed_at, first.completed_at);
    assert.equal(item.completed, true);
  });
});

test('update status: pending -> in_progress -> completed -> pending', async (t) => {
  await withClient(t, async (c) => {
    const { todo_id, created_at } = await todo(c, { action: 'add', title: 'flow', description: 'd' });
    const ip = await todo(c, { action: 'update', todo_id, status: 'in_progress' });
    assert.equal(ip.todo.status, 'in_progress');
    assert.equal(ip.todo.completed, false);
    assert.equal(ip.todo.completed_at, null);
    assert.deepEqual(ip.updated_fields, ['status']);
    const done = await todo(c, { action: 'update', todo_id, status: 'completed' });
    assert.equal(done.todo.status, 'completed');
    assert.equal(done.todo.completed, true);
    assert.match(done.todo.completed_at, ISO);
    const back = await todo(c, { action: 'update', todo_id, status: 'pending' });
    assert.equal(back.todo.status, 'pending');
    assert.equal(back.todo.completed, false);
    assert.equal(back.todo.completed_at, null, 'leaving completed clears completed_at');
    assert.equal(back.todo.title, 'flow');
    assert.equal(back.todo.description, 'd');
    assert.equal(back.todo.created_at, created_at);
    assert.ok(back.todo.updated_at >= created_at);
    const bad = await todo(c, { action: 'update', todo_id, status: 'all' }, { expectError: true });
    assert.match(bad.error, /status/);
    const desc = await todo(c, { action: 'update', todo_id, description: '' });
    assert.equal(desc.todo.description, '', 'a description can be cleared');
  });
});

test('unicode and large-but-valid values round-trip', async (t) => {
  await withClient(t, async (c) => {
    const title = 'Ünïcødé ✓ 日本語 🚀 "quotes" \\ back';
    const description = 'line1\nline2\ttab ' + 'z'.repeat(60000);
    const add = await todo(c, { action: 'add', title, description });
    const got = (await todo(c, { action: 'list' })).todos[0];
    assert.equal(got.title, title);
    assert.equal(got.description, description);
    assert.equal((await todo(c, { action: 'search', query: '日本' })).todos[0].todo_id, add.todo_id);
  });
});
