// chat_action through the SDK client.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chat, sleep, withClient } from './helpers.mjs';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

test('log then get_conversation, get_by_tool, get_tool_conversations', async (t) => {
  await withClient(t, async (c) => {
    await c.listTools();
    const log = async (args) => chat(c, { action: 'log', ...args });
    const m1 = await log({ conversation_id: 'conv-1', role: 'user', content: 'hello', source_tool: 'claude-code', agent_name: 'Claude Code Agent' });
    assert.ok(Number.isInteger(m1.chat_id) && m1.chat_id > 0);
    assert.equal(m1.conversation_id, 'conv-1');
    assert.equal(m1.role, 'user');
    assert.match(m1.created_at, ISO);
    assert.equal(m1.project, 'default');
    assert.equal(typeof m1.message, 'string');
    await sleep(3);
    const m2 = await log({ conversation_id: 'conv-1', role: 'assistant', content: 'hi there', source_tool: 'claude-code' });
    await sleep(3);
    const m3 = await log({ conversation_id: 'conv-2', role: 'system', content: 'other tool', source_tool: 'cursor' });
    await sleep(3);
    const m4 = await log({ conversation_id: 'conv-3', role: 'tool', content: 'by agent name only', agent_name: 'my-CLAUDE-CODE-helper' });
    assert.ok(m2.chat_id > m1.chat_id && m3.chat_id > m2.chat_id && m4.chat_id > m3.chat_id);

    const conv = await chat(c, { action: 'get_conversation', conversation_id: 'conv-1' });
    assert.equal(conv.conversation_id, 'conv-1');
    assert.deepEqual(conv.messages.map((m) => m.content), ['hello', 'hi there'], 'oldest first');
    assert.equal(conv.total_found, 2);
    assert.equal(conv.total_count, 2);
    assert.equal(conv.limit_applied, 50);
    assert.equal(conv.has_more, false);
    const msg = conv.messages[0];
    assert.deepEqual(Object.keys(msg).sort(), ['agent_name', 'chat_id', 'content', 'conversation_id', 'created_at', 'metadata', 'role', 'source_tool'].sort());
    assert.equal(msg.chat_id, m1.chat_id);
    assert.equal(msg.role, 'user');
    assert.equal(msg.agent_name, 'Claude Code Agent');
    assert.equal(msg.source_tool, 'claude-code');
    assert.deepEqual(msg.metadata, {}, 'no metadata reads back as {}');
    assert.equal(conv.messages[1].agent_name, null);

    const page = await chat(c, { action: 'get_conversation', conversation_id: 'conv-1', limit: 1, offset: 1 });
    assert.deepEqual(page.messages.map((m) => m.content), ['hi there']);
    assert.equal(page.has_more, false);
    assert.equal((await chat(c, { action: 'get_conversation', conversation_id: 'conv-1', limit: 1 })).has_more, true);
    const none = await chat(c, { action: 'get_conversation', conversation_id: 'nope' });
    assert.deepEqual(none.messages, []);
    assert.equal(none.total_count, 0);

    const byTool = await chat(c, { action: 'get_by_tool', source_tool: 'claude-code' });
    assert.equal(byTool.source_tool, 'claude-code');
    assert.deepEqual(byTool.chats.map((m) => m.content), ['hi there', 'hello'], 'newest first');
    assert.equal(byTool.total_found, 2);
    assert.equal(byTool.limit_applied, 10);
    assert.deepEqual((await chat(c, { action: 'get_by_tool', source_tool: 'cursor' })).chats.map((m) => m.chat_id), [m3.chat_id]);
    assert.equal((await chat(c, { action: 'get_by_tool', source_tool: 'claude-code', limit: 1 })).chats[0].content, 'hi there');
    assert.equal((await chat(c, { action: 'get_by_tool', source_tool: 'nothing' })).total_found, 0);

    const convs = await chat(c, { action: 'get_tool_conversations', tool_name: 'claude-code' });
    assert.equal(convs.tool_name, 'claude-code');
    // conv-1 by source_tool, conv-3 by a case-insensitive agent_name substring; newest first.
    assert.deepEqual(convs.conversations.map((x) => x.conversation_id), ['conv-3', 'conv-1']);
    assert.equal(convs.total_found, 2);
    const c1 = convs.conversations.find((x) => x.conversation_id === 'conv-1');
    assert.equal(c1.message_count, 2);
    assert.equal(c1.first_message, m1.created_at);
    assert.equal(c1.last_message, m2.created_at);
    assert.equal(c1.agent_name, 'Claude Code Agent');
    assert.equal(c1.tool_name, 'claude-code');
    const limited = await chat(c, { action: 'get_tool_conversations', tool_name: 'claude-code', limit: 1 });
    assert.deepEqual(limited.conversations.map((x) => x.conversation_id), ['conv-3']);
  });
});

test('metadata round-trips as an object', async (t) => {
  await withClient(t, async (c) => {
    const metadata = {
      nested: { a: [1, 2, { b: null }], ok: true },
      unicode: 'ü ✓ 日本 🚀',
      number: 3.25,
      big: 9007199254740991,
      empty: {},
      quote: 'say "hi"\n',
    };
    const { chat_id } = await chat(c, { action: 'log', conversation_id: 'm', role: 'user', content: 'with meta', metadata, source_tool: 't' });
    const conv = await chat(c, { action: 'get_conversation', conversation_id: 'm' });
    assert.equal(conv.messages[0].chat_id, chat_id);
    assert.deepEqual(conv.messages[0].metadata, metadata);
    assert.deepEqual((await chat(c, { action: 'get_by_tool', source_tool: 't' })).chats[0].metadata, metadata);

    const arr = await chat(c, { action: 'log', conversation_id: 'm', role: 'user', content: 'x', metadata: [1, 2] }, { expectError: true });
    assert.match(arr.error, /'metadata'/);
    assert.match(arr.error, /object/);
    const str = await chat(c, { action: 'log', conversation_id: 'm', role: 'user', content: 'x', metadata: '{"a":1}' }, { expectError: true });
    assert.match(str.error, /'metadata'.*object/);
    const huge = await chat(c, { action: 'log', conversation_id: 'm', role: 'user', content: 'x', metadata: { pad: 'p'.repeat(300 * 1024) } }, { expectError: true });
    assert.match(huge.error, /metadata.*too large/);
    assert.equal((await chat(c, { action: 'get_conversation', conversation_id: 'm' })).total_count, 1);

    // Nested metadata round-trips up to the documented 64 levels ...
    const nest = (n) => JSON.parse('{"a":' + '['.repeat(n) + ']'.repeat(n) + '}');
    await chat(c, { action: 'log', conversation_id: 'deep', role: 'user', content: 'x', metadata: nest(63) });
    const back = await chat(c, { action: 'get_conversation', conversation_id: 'deep' });
    assert.deepEqual(back.messages[0].metadata, nest(63));
    // ... and deeper nesting is a clear error result that writes nothing.
    for (const depth of [64, 2020]) {
      const tooDeep = await chat(c, { action: 'log', conversation_id: 'deep', role: 'user', content: 'x', metadata: nest(depth) }, { expectError: true });
      assert.equal(tooDeep.error, "Parameter 'metadata' is nested too deeply (limit 64 levels)");
    }
    assert.equal((await chat(c, { action: 'get_conversation', conversation_id: 'deep' })).total_count, 1);
  });
});

test('validation: bad role, missing content, unknown action, wrong types', async (t) => {
  await withClient(t, async (c) => {
    const base = { action: 'log', conversation_id: 'v', role: 'user', content: 'ok' };
    const err = async (args) => (await chat(c, args, { expectError: true })).error;
    const role = await err({ ...base, role: 'ops_engineer' });
    assert.match(role, /'role'/);
    assert.match(role, /ops_engineer/);
    assert.match(role, /user, assistant, system/);
    const { content: _c, ...noContent } = base;
    assert.equal(await err(noContent), 'Missing required parameter: content');
    const { conversation_id: _v, ...noConv } = base;
    assert.equal(await err(noConv), 'Missing required parameter: conversation_id');
    const { role: _r, ...noRole } = base;
    assert.equal(await err(noRole), 'Missing required parameter: role');
    assert.match(await err({ ...base, content: '   ' }), /content.*empty/);
    assert.match(await err({ ...base, content: 5 }), /'content'.*string/);
    assert.match(await err({ ...base, content: 'c'.repeat(1024 * 1024 + 1) }), /content.*too long/);
    assert.match(await err({ action: 'route_query', query: 'x' }), /^Unknown chat action: route_query\b/);
    assert.equal(await err({ action: 'get_by_tool' }), 'Missing required parameter: source_tool');
    assert.equal(await err({ action: 'get_tool_conversations' }), 'Missing required parameter: tool_name');
    assert.match(await err({ action: 'get_conversation', conversation_id: 'v', limit: 'all' }), /'limit'.*integer/);
    assert.match(await err({ action: 'get_by_tool', source_tool: 'x', todo_id: 1 }), /Unknown parameter.*todo_id/);
    // Roles are case-insensitive and canonicalised.
    const ok = await chat(c, { ...base, role: 'Assistant' });
    assert.equal(ok.role, 'assistant');
    const conv = await chat(c, { action: 'get_conversation', conversation_id: 'v' });
    assert.equal(conv.total_count, 1, 'failed calls store nothing');
    assert.equal(conv.messages[0].role, 'assistant');
  });
});

test('projects are isolated', async (t) => {
  await withClient(t, async (c) => {
    await chat(c, { action: 'log', conversation_id: 'shared-id', role: 'user', content: 'from A', source_tool: 'tool', project: 'A' });
    await chat(c, { action: 'log', conversation_id: 'shared-id', role: 'user', content: 'from B', source_tool: 'tool', project: 'B' });
    const a = await chat(c, { action: 'get_conversation', conversation_id: 'shared-id', project: 'A' });
    assert.deepEqual(a.messages.map((m) => m.content), ['from A']);
    const b = await chat(c, { action: 'get_conversation', conversation_id: 'shared-id', project: 'B' });
    assert.deepEqual(b.messages.map((m) => m.content), ['from B']);
    assert.equal((await chat(c, { action: 'get_conversation', conversation_id: 'shared-id' })).total_count, 0);
    assert.deepEqual((await chat(c, { action: 'get_by_tool', source_tool: 'tool', project: 'A' })).chats.map((m) => m.content), ['from A']);
    assert.equal((await chat(c, { action: 'get_by_tool', source_tool: 'tool' })).total_found, 0);
    const ca = await chat(c, { action: 'get_tool_conversations', tool_name: 'tool', project: 'A' });
    assert.equal(ca.conversations.length, 1);
    assert.equal(ca.conversations[0].message_count, 1, 'B\'s message in the same conversation id is not counted');
    assert.equal((await chat(c, { action: 'get_tool_conversations', tool_name: 'tool', project: 'C' })).total_found, 0);
  });
});
