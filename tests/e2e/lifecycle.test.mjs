// Lifecycle through the official SDK client: initialize, tools/list (and its
// paging), ping, and a clean exit (code 0, so a LeakSanitizer report fails).
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeAllClean, closeClean, connect, runCliExpect, sandbox, TOOL_NAMES, withClient, withRaw } from './helpers.mjs';

test('initialize: serverInfo, version, instructions, capabilities', async (t) => {
  const sb = sandbox(t);
  const session = await connect(sb);
  const { client } = session;
  const info = client.getServerVersion();
  assert.equal(info.name, 'ltmc');
  assert.match(info.version, /^\d+\.\d+\.\d+/);
  const cli = await runCliExpect(sb, ['version'], 0);
  assert.equal(cli.stdout.trim(), `ltmc ${info.version}`, 'serverInfo.version must match `ltmc version`');
  const instructions = client.getInstructions();
  assert.equal(typeof instructions, 'string');
  assert.ok(instructions.length > 40, 'instructions should say what the server is for');
  assert.match(instructions, /todo_action/);
  const caps = client.getServerCapabilities();
  assert.ok(caps.tools && typeof caps.tools === 'object', 'tools capability must be advertised');
  for (const absent of ['resources', 'prompts', 'completions'])
    assert.equal(caps[absent], undefined, `${absent} is not implemented and must not be advertised`);

  // A clean shutdown: stdin EOF -> exit 0, nothing from ASan/LSan/UBSan.
  const stderr = await closeClean(session);
  assert.match(stderr, /serving MCP on stdio|^$/s);
});

test('listTools: exactly the offered tools, in order, each with a well-formed schema', async (t) => {
  await withClient(t, async (client) => {
    const { tools, nextCursor } = await client.listTools();
    assert.equal(nextCursor, undefined, 'one page with the default page size');
    assert.deepEqual(tools.map((x) => x.name), TOOL_NAMES);
    const expectedActions = {
      memory_action: ['store', 'bulk_store', 'retrieve', 'build_context', 'retrieve_by_type', 'ask_with_context', 'get', 'update', 'delete', 'list'],
      todo_action: ['add', 'list', 'complete', 'search', 'update', 'delete'],
      chat_action: ['log', 'get_by_tool', 'get_tool_conversations', 'get_conversation', 'route_query'],
      graph_action: ['link', 'query', 'auto_link', 'get_relationships', 'stats', 'unlink', 'delete_node', 'traverse', 'path', 'export', 'import'],
      blueprint_action: ['create', 'analyze_complexity', 'list_project', 'add_dependency', 'resolve_order', 'update_metadata', 'get_dependencies', 'delete'],
      unix_action: ['ls', 'cat', 'grep', 'find', 'tree', 'jq', 'disk_usage', 'help', 'diff_highlight', 'fuzzy_select', 'parse_syntax', 'syntax_query', 'list_modern', 'syntax_highlight'],
      pattern_action: ['extract_functions', 'extract_classes', 'extract_comments', 'summarize_code', 'log_attempt', 'get_patterns', 'analyze_patterns'],
      cache_action: ['health_check', 'stats', 'flush', 'reset'],
      documentation_action: ['generate_api_docs', 'generate_architecture_diagram', 'sync_documentation_with_code', 'validate_documentation_consistency'],
      sync_action: ['code', 'validate', 'drift', 'blueprint', 'score', 'monitor', 'stop', 'status'],
      config_action: ['validate_config', 'get_config_schema', 'export_config'],
    };
    for (const tool of tools) {
      const where = tool.name;
      assert.match(tool.name, /^[A-Za-z0-9_.-]{1,128}$/);
      assert.equal(typeof tool.description, 'string', `${where}: description`);
      assert.ok(tool.description.length > 10, `${where}: description too short`);
      const s = tool.inputSchema;
      assert.equal(s.type, 'object', `${where}: inputSchema.type`);
      assert.ok(Array.isArray(s.required) && s.required.includes('action'), `${where}: action must be required`);
      assert.equal(s.properties.action.type, 'string', `${where}: action type`);
      assert.deepEqual(s.properties.action.enum, expectedActions[where], `${where}: action enum`);
      for (const [name, prop] of Object.entries(s.properties)) {
        assert.equal(typeof prop.type, 'string', `${where}.${name}: every property needs a type`);
        assert.equal(typeof prop.description, 'string', `${where}.${name}: every property needs a description`);
        assert.ok(prop.description.trim().length > 0, `${where}.${name}: empty description`);
        if (prop.enum) for (const v of prop.enum) assert.equal(typeof v, 'string');
        if (prop.type === 'array') assert.ok(prop.items, `${where}.${name}: arrays need items`);
      }
      assert.ok(s.properties.project, `${where}: every tool takes project`);
      assert.ok(tool.annotations && typeof tool.annotations === 'object', `${where}: annotations`);
      for (const hint of ['readOnlyHint', 'idempotentHint', 'openWorldHint'])
        assert.equal(typeof tool.annotations[hint], 'boolean', `${where}: annotations.${hint}`);
      assert.ok(tool.outputSchema && tool.outputSchema.type === 'object', `${where}: outputSchema`);
      assert.ok(tool.outputSchema.required.includes('success'), `${where}: outputSchema requires success`);
    }
    const byName = Object.fromEntries(tools.map((x) => [x.name, x]));
    assert.equal(byName.config_action.annotations.readOnlyHint, true, 'config_action is read-only');
    assert.equal(byName.todo_action.annotations.readOnlyHint, false);
    assert.equal(byName.chat_action.annotations.readOnlyHint, false);
    assert.equal(byName.memory_action.annotations.readOnlyHint, false);
    assert.equal(byName.memory_action.annotations.destructiveHint, true, 'memory_action deletes and overwrites');
    // memory: the limits the server enforces are declared.
    const mp = byName.memory_action.inputSchema.properties;
    assert.deepEqual([mp.top_k.minimum, mp.top_k.maximum], [1, 100]);
    assert.deepEqual([mp.doc_id.type, mp.doc_id.minimum], ['integer', 1]);
    assert.equal(mp.tags.type, 'array');
    assert.equal(mp.documents.type, 'array');
    assert.match(mp.content.description, /max_memory_bytes/);
    assert.match(mp.content.description, /Required for: store\./);
    assert.equal(byName.chat_action.inputSchema.properties.source_types.type, 'array');
    assert.match(byName.chat_action.inputSchema.properties.query.description, /Required for: route_query/);
    // graph and blueprint: bounds the server enforces are declared.
    const gp = byName.graph_action.inputSchema.properties;
    assert.deepEqual([gp.depth.minimum, gp.depth.maximum], [1, 6]);
    assert.deepEqual([gp.max_depth.minimum, gp.max_depth.maximum], [1, 6]);
    assert.deepEqual(gp.direction.enum, ['both', 'outgoing', 'incoming']);
    assert.deepEqual(gp.format.enum, ['json', 'cypher', 'graphml']);
    assert.equal(gp.properties.type, 'object');
    assert.equal(gp.documents.type, 'array');
    assert.match(gp.source_id.description, /Required for: link, unlink, path\./);
    assert.equal(byName.graph_action.annotations.destructiveHint, true);
    const bp = byName.blueprint_action.inputSchema.properties;
    assert.deepEqual(bp.complexity.enum, ['trivial', 'simple', 'medium', 'complex', 'critical']);
    assert.equal(bp.blueprint_ids.type, 'array');
    assert.equal(bp.is_critical.type, 'boolean');
    assert.equal(bp.priority_score.type, 'number');
    // todo: title is declared with a limit the server enforces.
    assert.equal(byName.todo_action.inputSchema.properties.title.type, 'string');
    assert.deepEqual(byName.todo_action.inputSchema.properties.priority.enum, ['low', 'medium', 'high', 'urgent']);
  });
});

test('tools/list paging with LTMC_TOOLS_PAGE_SIZE=1 (SDK) and invalid cursors', async (t) => {
  await withClient(
    t,
    async (client) => {
      const names = [];
      const cursors = [];
      let cursor;
      for (let page = 0; page <= TOOL_NAMES.length; page++) {
        const res = await client.listTools(cursor === undefined ? {} : { cursor });
        assert.equal(res.tools.length, 1, 'one tool per page');
        names.push(res.tools[0].name);
        if (!res.nextCursor) break;
        assert.equal(typeof res.nextCursor, 'string');
        cursors.push(res.nextCursor);
        cursor = res.nextCursor;
      }
      assert.deepEqual(names, TOOL_NAMES, 'paging yields every tool once, in a stable order');
      assert.equal(cursors.length, TOOL_NAMES.length - 1);
      // The same cursor gives the same page again.
      const again = await client.listTools({ cursor: cursors[0] });
      assert.equal(again.tools[0].name, names[1]);

      for (const bad of ['garbage', 'tools:0', 'tools:99', 'tools:-1', 'tools:1x', '']) {
        await assert.rejects(
          client.listTools({ cursor: bad }),
          (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams,
          `cursor ${JSON.stringify(bad)} must be rejected with -32602`,
        );
      }
      // The session survives the errors.
      assert.equal((await client.listTools({})).tools.length, 1);
    },
    { env: { LTMC_TOOLS_PAGE_SIZE: '1' } },
  );
});

test('tools/list paging over raw stdio, non-string cursor rejected', async (t) => {
  await withRaw(
    t,
    async (raw) => {
      await raw.initialize();
      // Pages of two until the last one, which has no nextCursor.
      const seen = [];
      let cursor;
      let id = 10;
      for (;;) {
        const p = await raw.request(id++, 'tools/list', cursor === undefined ? {} : { cursor });
        seen.push(...p.result.tools);
        if (p.result.nextCursor === undefined) {
          assert.ok(p.result.tools.length >= 1 && p.result.tools.length <= 2);
          break;
        }
        assert.equal(p.result.tools.length, 2);
        assert.equal(typeof p.result.nextCursor, 'string');
        cursor = p.result.nextCursor;
        assert.ok(id < 100, 'paging must end');
      }
      assert.deepEqual(seen.map((x) => x.name), TOOL_NAMES);
      const bad = await raw.request(3, 'tools/list', { cursor: 5 });
      assert.equal(bad.error.code, -32602);
      const nul = await raw.request(4, 'tools/list', { cursor: null });
      assert.equal(nul.result.tools.length, 2, 'a null cursor is the first page');
    },
    { env: { LTMC_TOOLS_PAGE_SIZE: '2' } },
  );
});

test('ping returns an empty object', async (t) => {
  await withClient(t, async (client) => {
    const r = await client.ping();
    assert.deepEqual(r, {});
    // Many pings in flight at once are all answered.
    const many = await Promise.all(Array.from({ length: 50 }, () => client.ping()));
    assert.equal(many.length, 50);
    for (const x of many) assert.deepEqual(x, {});
  });
});

test('sessions are independent: a second client on the same database', async (t) => {
  const sb = sandbox(t);
  const a = await connect(sb, { clientName: 'first' });
  const b = await connect(sb, { clientName: 'second' });
  try {
    assert.equal(a.client.getServerVersion().name, 'ltmc');
    assert.equal(b.client.getServerVersion().name, 'ltmc');
    assert.notEqual(a.pid, b.pid);
    assert.deepEqual(await b.client.ping(), {});
  } finally {
    await closeAllClean(a, b);
  }
});
