// graph_action through the SDK client: every action, the original's result
// keys, errors, projects, memory nodes and tags, auto_link by meaning with
// the real GloVe embedder, and the exports: JSON round-tripping through
// import into another project, Cypher parsed back by a checker of its
// quoting, GraphML parsed by a real XML parser (Python's ElementTree).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { blueprint, graph, memory, todo, withClient } from './helpers.mjs';

const link = (c, source_id, target_id, relation, extra = {}, o) =>
  graph(c, { action: 'link', source_id, target_id, relation, ...extra }, o);

// Names no quoting scheme should trip on.
const HOSTILE = [
  'O\'Brien "quoted" back\\slash `tick` ``double``',
  'new\nline\r\ncarriage\ttab',
  'unicode é 中文 🚀 \u2028 sep',
  'ctrl \u0001\u0002\u001f del \u007f',
  "cypher injection'}) DETACH DELETE n //",
  '<xml attr="x">&amp; &lt;/graphml>]]>',
  'ends with backslash\\',
  "'",
];

async function hostileGraph(c, project) {
  for (let i = 0; i < HOSTILE.length; i++) {
    const j = (i + 1) % HOSTILE.length;
    await link(c, HOSTILE[i], HOSTILE[j], HOSTILE[(i + 2) % HOSTILE.length], {
      project,
      weight: 0.125 * i,
      properties: { [HOSTILE[i]]: HOSTILE[j], int: i, real: i + 0.25, flag: i % 2 === 1, list: [HOSTILE[i], 'x'], mixed: [1, 'a'], nested: { k: HOSTILE[i] } },
    });
  }
}

async function exportAll(c, project, format = 'json', limit = 1000) {
  const nodes = [], edges = [];
  let content = '';
  let offset = 0;
  for (;;) {
    const r = await graph(c, { action: 'export', project, format, offset, limit });
    assert.ok(r.node_count + r.edge_count <= limit);
    if (format === 'json') {
      nodes.push(...r.graph.nodes);
      edges.push(...r.graph.edges);
    } else content += r.content;
    assert.equal(r.has_more, r.next_offset !== null);
    if (r.next_offset === null) return { nodes, edges, content, total_nodes: r.total_nodes, total_edges: r.total_edges };
    assert.equal(r.next_offset, offset + r.node_count + r.edge_count);
    offset = r.next_offset;
  }
}

// ---- a checker of the Cypher export's quoting --------------------------------------------

/**
 * Splits a Cypher script into statements the way Neo4j's lexer reads what
 * the export writes: 'strings' with backslash escapes, `names` with `` for
 * a backtick (taken as they are, line breaks included), anything else bare.
 * Returns [{ text, strings, names }] with literals decoded; throws on an
 * unterminated literal, an unknown escape, a raw control character outside
 * a name, unbalanced brackets, or a missing final ';'.
 */
function cypherStatements(script) {
  const out = [];
  let i = 0;
  while (i < script.length) {
    const start = i;
    const strings = [], names = [];
    const depth = { '(': 0, '{': 0, '[': 0 };
    const closer = { ')': '(', '}': '{', ']': '[' };
    for (;;) {
      if (i >= script.length) throw new Error(`statement without ';': ${script.slice(start, start + 200)}`);
      const ch = script[i];
      const code = ch.charCodeAt(0);
      if (code < 0x20 || code === 0x7f) throw new Error(`raw control character outside a literal: ${JSON.stringify(script.slice(start, i + 1))}`);
      if (ch === "'") {
        let s = '';
        i++;
        for (;;) {
          if (i >= script.length) throw new Error('unterminated string');
          const d = script[i];
          if (d.charCodeAt(0) < 0x20 || d === '\u007f') throw new Error('raw control character in a string literal');
          if (d === "'") { i++; break; }
          if (d !== '\\') { s += d; i++; continue; }
          const e = script[i + 1];
          const simple = { '\\': '\\', "'": "'", '"': '"', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };
          if (e in simple) { s += simple[e]; i += 2; continue; }
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(script.slice(i + 2, i + 6))) {
            s += String.fromCharCode(parseInt(script.slice(i + 2, i + 6), 16));
            i += 6;
            continue;
          }
          throw new Error(`unknown escape \\${e}`);
        }
        strings.push(s);
        continue;
      }
      if (ch === '`') {
        let s = '';
        i++;
        for (;;) {
          if (i >= script.length) throw new Error('unterminated name');
          if (script[i] === '`' && script[i + 1] === '`') { s += '`'; i += 2; continue; }
          if (script[i] === '`') { i++; break; }
          s += script[i++];
        }
        names.push(s);
        continue;
      }
      if (ch === '"') throw new Error('a double-quoted string outside a literal');
      if (ch in depth) depth[ch]++;
      if (ch in closer && --depth[closer[ch]] < 0) throw new Error(`unbalanced ${ch}`);
      if (ch === ';') {
        if (Object.values(depth).some((d) => d !== 0)) throw new Error('unbalanced brackets');
        const text = script.slice(start, i + 1);
        i++;
        if (i < script.length) {
          if (script[i] !== '\n') throw new Error(`';' inside a statement: ${text}`);
          i++;
        }
        out.push({ text, strings, names });
        break;
      }
      i++;
    }
  }
  return out;
}

// ---- tests ------------------------------------------------------------------------------

test('link, query, get_relationships: the original keys, directions, filters, paging', async (t) => {
  await withClient(t, async (c) => {
    await c.listTools();
    const l = await link(c, 'auth', 'jwt', 'USES', { properties: { since: 'v2', gone: null }, weight: 0.5, metadata: { by: 'agent' } });
    assert.equal(l.relationship_created, true);
    assert.equal(l.already_existed, false);
    assert.equal(l.source_id, 'auth');
    assert.equal(l.target_id, 'jwt');
    assert.equal(l.relationship_type, 'USES');
    assert.equal(l.weight, 0.5);
    assert.deepEqual(l.properties, { since: 'v2', metadata: { by: 'agent' } });
    // Again: weight set, properties merged (null removes).
    const again = await link(c, 'auth', 'jwt', 'USES', { properties: { since: null, extra: 1 } });
    assert.equal(again.already_existed, true);
    assert.equal(again.weight, 1);
    assert.deepEqual(again.properties, { metadata: { by: 'agent' }, extra: 1 });
    await link(c, 'api', 'auth', 'CALLS');
    await link(c, 'auth', 'db', 'USES');

    const q = await graph(c, { action: 'query', entity: 'auth' });
    assert.equal(q.count, 3);
    assert.equal(q.total_count, 3);
    for (const r of q.relationships)
      assert.deepEqual(Object.keys(r).sort(), ['created_at', 'properties', 'relationship_type', 'source_id', 'target_id', 'weight']);
    assert.deepEqual(q.relationships.map((r) => `${r.source_id}-${r.relationship_type}->${r.target_id}`),
      ['auth-USES->jwt', 'api-CALLS->auth', 'auth-USES->db']);
    assert.equal((await graph(c, { action: 'query', entity: 'auth', direction: 'incoming' })).count, 1);
    const uses = await graph(c, { action: 'query', entity: 'auth', direction: 'outgoing', relation_type: 'USES' });
    assert.deepEqual(uses.relationships.map((r) => r.target_id), ['jwt', 'db']);
    const page = await graph(c, { action: 'query', entity: 'auth', limit: 2, offset: 2 });
    assert.equal(page.count, 1);
    assert.equal(page.has_more, false);
    const none = await graph(c, { action: 'query', entity: 'nobody' });
    assert.equal(none.count, 0);
    assert.equal(none.node_exists, false);
    const gr = await graph(c, { action: 'get_relationships', doc_id: 'jwt' });
    assert.equal(gr.count, 1);
    assert.equal(gr.relationships[0].source_id, 'auth');
  });
});

test('errors: self-links, missing and malformed nodes, wrong types, oversized properties', async (t) => {
  await withClient(t, async (c) => {
    const err = async (args, re) => {
      const r = await graph(c, args, { expectError: true });
      assert.match(r.error, re);
    };
    await err({ action: 'link', source_id: 'a', target_id: 'a', relation: 'R' }, /cannot be linked to itself/);
    await err({ action: 'link', source_id: 'a', relation: 'R' }, /^Missing required parameter: target_id$/);
    await err({ action: 'link', source_id: 'a', target_id: 'b', relation: 'R', weight: 'x' }, /Invalid type for parameter 'weight': expected number, got string/);
    await err({ action: 'link', source_id: 'a', target_id: 'b', relation: 'R', properties: 'p' }, /expected object, got string/);
    await err({ action: 'link', source_id: 'memory:42', target_id: 'b', relation: 'R' }, /memory 42, which does not exist in this project/);
    await err({ action: 'link', source_id: 'todo:x', target_id: 'b', relation: 'R' }, /Invalid node id 'todo:x'/);
    await err({ action: 'link', source_id: 'a', target_id: 'b', relation: 'R', properties: { k: 'x'.repeat(70000) } }, /too large: \d+ bytes serialized \(limit 65536\)/);
    await err({ action: 'explode' }, /^Unknown graph action: explode/);
    await err({ action: 'traverse', start_id: 'a', depth: 9 }, /from 1 to 6/);
    await err({ action: 'traverse', start_id: 'nowhere' }, /^Node not found: nowhere$/);
    await err({ action: 'path', source_id: 'a', target_id: 'b' }, /Node not found/);
    await err({ action: 'unlink', source_id: 'a', target_id: 'b' }, /Node not found/);
    await err({ action: 'delete_node', node_id: 'a' }, /Node not found: a/);
    await err({ action: 'export', format: 'pdf' }, /expected one of: json, cypher, graphml/);
    await err({ action: 'import', data: { nodes: [{ id: 'memory:1', kind: 'todo' }] } }, /kind 'todo' does not match/);
    assert.equal((await graph(c, { action: 'stats' })).total_nodes, 0, 'failed calls leave nothing behind');
  });
});

test('memories are nodes tagged the right way round; deleting one removes its node', async (t) => {
  await withClient(t, async (c) => {
    const m = await memory(c, { action: 'store', file_name: 'wal.md', content: 'We chose SQLite WAL for the store.', tags: ['db', 'arch'] });
    const id = `memory:${m.doc_id}`;
    const out = await graph(c, { action: 'query', entity: id, direction: 'outgoing' });
    assert.deepEqual(out.relationships.map((r) => [r.source_id, r.relationship_type, r.target_id]).sort(),
      [[id, 'TAGGED_WITH', 'tag:arch'], [id, 'TAGGED_WITH', 'tag:db']]);
    const td = await todo(c, { action: 'add', title: 'Document WAL' });
    await link(c, `todo:${td.todo_id}`, id, 'DOCUMENTS');
    const nb = await graph(c, { action: 'traverse', start_id: id, depth: 1 });
    const byId = Object.fromEntries(nb.nodes.map((n) => [n.id, n]));
    assert.equal(byId[id].kind, 'memory');
    assert.equal(byId[id].label, 'wal.md');
    assert.equal(byId[`todo:${td.todo_id}`].label, 'Document WAL');
    assert.equal(byId['tag:db'].kind, 'tag');
    const refused = await graph(c, { action: 'delete_node', node_id: id }, { expectError: true });
    assert.match(refused.error, /memory_action delete/);
    await memory(c, { action: 'delete', doc_id: m.doc_id });
    assert.equal((await graph(c, { action: 'query', entity: id })).node_exists, false);
    assert.equal((await graph(c, { action: 'query', entity: `todo:${td.todo_id}` })).count, 0);
  });
});

test('traverse and path: depth, direction, relation filter, paging, shortest path', async (t) => {
  await withClient(t, async (c) => {
    for (const [s, d, r] of [['a', 'b', 'R'], ['b', 'c', 'R'], ['c', 'd', 'R'], ['d', 'e', 'R'], ['a', 'f', 'S'], ['f', 'e', 'S'], ['g', 'a', 'R']])
      await link(c, s, d, r);
    const tr = await graph(c, { action: 'traverse', start_id: 'a' });
    assert.deepEqual(tr.nodes.map((n) => `${n.id}@${n.depth}`), ['a@0', 'b@1', 'f@1', 'g@1', 'c@2', 'e@2']);
    assert.equal(tr.total_count, 6);
    assert.equal(tr.truncated, false);
    assert.ok(tr.relationships.every((r) => tr.nodes.some((n) => n.id === r.source_id) && tr.nodes.some((n) => n.id === r.target_id)));
    const out = await graph(c, { action: 'traverse', start_id: 'a', depth: 6, direction: 'outgoing', relation_type: 'R' });
    assert.deepEqual(out.nodes.map((n) => n.id), ['a', 'b', 'c', 'd', 'e']);
    const pg = await graph(c, { action: 'traverse', start_id: 'a', limit: 2, offset: 2 });
    assert.deepEqual(pg.nodes.map((n) => n.id), ['f', 'g']);
    assert.equal(pg.has_more, true);

    const p = await graph(c, { action: 'path', source_id: 'g', target_id: 'e' });
    assert.equal(p.found, true);
    assert.equal(p.length, 3);
    assert.deepEqual(p.nodes.map((n) => n.id), ['g', 'a', 'f', 'e']);
    assert.deepEqual(p.relationships.map((r) => r.relationship_type), ['R', 'S', 'S']);
    const longWay = await graph(c, { action: 'path', source_id: 'a', target_id: 'e', relation_type: 'R' });
    assert.equal(longWay.length, 4);
    const tooShort = await graph(c, { action: 'path', source_id: 'a', target_id: 'e', relation_type: 'R', max_depth: 3 });
    assert.equal(tooShort.found, false);
    assert.equal(tooShort.length, null);
    const against = await graph(c, { action: 'path', source_id: 'e', target_id: 'a', direction: 'outgoing' });
    assert.equal(against.found, false);
  });
});

test('auto_link links documents by meaning (GloVe), at most max_links_per_document each', async (t) => {
  await withClient(t, async (c) => {
    const docs = [
      { id: 'd1', content: 'The database stores user records in tables and indexes.', type: 'note' },
      { id: 'd2', content: 'SQL tables hold the rows of customer data, with an index on each key.' },
      { id: 'd3', content: 'My cat likes to sleep in the sun on the garden wall.' },
    ];
    // Every pair, to read the similarities...
    const all = await graph(c, { action: 'auto_link', documents: docs, similarity_threshold: -1, project: 'probe' });
    assert.equal(all.documents_processed, 3);
    assert.equal(all.links_created, 3);
    const sim = Object.fromEntries(all.links.map((l) => [`${l.source_id}-${l.target_id}`, l.similarity_score]));
    assert.ok(sim['d1-d2'] > sim['d1-d3'] && sim['d1-d2'] > sim['d2-d3'], `meaning: ${JSON.stringify(sim)}`);
    // ...then a threshold between them links only the two about tables.
    const threshold = (sim['d1-d2'] + Math.max(sim['d1-d3'], sim['d2-d3'])) / 2;
    const r = await graph(c, { action: 'auto_link', documents: docs, similarity_threshold: threshold });
    assert.equal(r.links_created, 1);
    assert.deepEqual(r.links.map((l) => [l.source_id, l.target_id]), [['d1', 'd2']]);
    const q = await graph(c, { action: 'query', entity: 'd1' });
    assert.equal(q.relationships[0].relationship_type, 'SIMILAR_TO');
    assert.ok(q.relationships[0].properties.similarity_score >= threshold);
    // max_links_per_document: with room for one link each, three similar
    // documents get one link between them.
    const capped = await graph(c, { action: 'auto_link', documents: docs, similarity_threshold: -1, max_links_per_document: 1, project: 'capped' });
    assert.equal(capped.links_created, 1);
    // Running again updates instead of adding.
    const rerun = await graph(c, { action: 'auto_link', documents: docs, similarity_threshold: threshold });
    assert.equal(rerun.links_created, 0);
    assert.equal(rerun.links_updated, 1);
  });
});

test('export: JSON round-trips through import into another project; Cypher and GraphML survive hostile names', async (t) => {
  await withClient(t, async (c) => {
    await hostileGraph(c, 'src');
    const m = await memory(c, { action: 'store', file_name: 'm.md', content: 'tagged memory', tags: ['t1'], project: 'src' });
    await link(c, `memory:${m.doc_id}`, HOSTILE[0], 'ABOUT', { project: 'src' });
    const whole = await exportAll(c, 'src');
    assert.equal(whole.nodes.length, HOSTILE.length + 2);
    assert.equal(whole.edges.length, HOSTILE.length + 2);
    assert.deepEqual(await exportAll(c, 'src', 'json', 3), whole, 'pages add up to the whole');
    assert.deepEqual(whole.nodes.map((n) => n.id).slice(0, HOSTILE.length), HOSTILE, 'ids come back exactly');

    // Page by page into another project.
    let offset = 0;
    for (;;) {
      const page = await graph(c, { action: 'export', project: 'src', offset, limit: 5 });
      const imp = await graph(c, { action: 'import', project: 'copy', data: page.graph });
      assert.equal(imp.nodes_imported + imp.edges_imported, page.node_count + page.edge_count);
      if (page.next_offset === null) break;
      offset = page.next_offset;
    }
    assert.deepEqual(await exportAll(c, 'copy'), whole, 'the same graph');
    const again = await graph(c, { action: 'import', project: 'copy', data: { nodes: whole.nodes, edges: whole.edges } });
    assert.equal(again.nodes_created, 0);
    assert.equal(again.edges_created, 0);
    assert.deepEqual(await exportAll(c, 'copy'), whole, 'import is idempotent');

    // Cypher: one statement per node and per edge, quoting that decodes back.
    const cy = await exportAll(c, 'src', 'cypher', 4);
    const stmts = cypherStatements(cy.content);
    assert.equal(stmts.length, cy.total_nodes + cy.total_edges);
    const nodeStmts = stmts.filter((s) => s.text.startsWith('MERGE (n:LtmcNode'));
    const edgeStmts = stmts.filter((s) => s.text.startsWith('MATCH (a:LtmcNode'));
    assert.equal(nodeStmts.length, cy.total_nodes);
    assert.equal(edgeStmts.length, cy.total_edges);
    assert.deepEqual(nodeStmts.map((s) => s.strings[1]), whole.nodes.map((n) => n.id));
    for (const [k, s] of edgeStmts.entries()) {
      const e = whole.edges[k];
      assert.deepEqual([s.strings[1], s.strings[3]], [e.source_id, e.target_id]);
      assert.equal(s.names[0], e.relationship_type);
      for (const [key, v] of Object.entries(e.properties)) {
        assert.ok(s.names.includes(key), `property key ${JSON.stringify(key)}`);
        if (typeof v === 'string') assert.ok(s.strings.includes(v), `property value ${JSON.stringify(v)}`);
      }
    }
    for (const h of HOSTILE) assert.ok(edgeStmts.some((s) => s.names[0] === h), 'relationship types survive');

    // GraphML: a real XML parser reads it, node ids intact (XML 1.0 cannot
    // carry most control characters: those become U+FFFD).
    const gm = await graph(c, { action: 'export', project: 'src', format: 'graphml' });
    const py = spawnSync('python3', ['-c', `
import sys, json, xml.etree.ElementTree as ET
ns = '{http://graphml.graphdrawing.org/xmlns}'
root = ET.fromstring(sys.stdin.buffer.read())
nodes = root.findall('.//' + ns + 'node')
edges = root.findall('.//' + ns + 'edge')
ids = [d.text for n in nodes for d in n.findall(ns + 'data') if d.get('key') == 'node_id']
print(json.dumps({'nodes': len(nodes), 'edges': len(edges), 'ids': ids, 'directed': root.find(ns + 'graph').get('edgedefault')}))
`], { input: gm.content, encoding: 'utf8' });
    assert.equal(py.status, 0, `GraphML did not parse: ${py.stderr}`);
    const parsed = JSON.parse(py.stdout);
    assert.equal(parsed.nodes, whole.nodes.length);
    assert.equal(parsed.edges, whole.edges.length);
    assert.equal(parsed.directed, 'directed');
    const xmlView = (s) => s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '\ufffd');
    assert.deepEqual(parsed.ids, whole.nodes.map((n) => xmlView(n.id)));
  });
});

test('unlink, delete_node, stats, projects', async (t) => {
  await withClient(t, async (c) => {
    await link(c, 'a', 'b', 'R1');
    await link(c, 'a', 'b', 'R2');
    await link(c, 'b', 'c', 'R1');
    await link(c, 'x', 'y', 'R1', { project: 'elsewhere' });
    let st = await graph(c, { action: 'stats' });
    assert.equal(st.total_nodes, 3);
    assert.equal(st.total_relationships, 3);
    assert.deepEqual(st.nodes_by_kind, { entity: 3 });
    assert.deepEqual(st.relationships_by_type, { R1: 2, R2: 1 });
    assert.deepEqual(Object.keys(st.record_counts).sort(), ['blueprints', 'chat_messages', 'memories', 'todos']);
    assert.equal((await graph(c, { action: 'unlink', source_id: 'a', target_id: 'b', relation: 'R2' })).relationships_removed, 1);
    assert.match((await graph(c, { action: 'unlink', source_id: 'a', target_id: 'b', relation: 'R2' }, { expectError: true })).error, /No R2 relationship from a to b/);
    const del = await graph(c, { action: 'delete_node', node_id: 'b' });
    assert.equal(del.relationships_removed, 2);
    st = await graph(c, { action: 'stats' });
    assert.equal(st.total_relationships, 0);
    assert.equal((await graph(c, { action: 'query', entity: 'x' })).count, 0, 'another project is not visible');
    assert.equal((await graph(c, { action: 'query', entity: 'x', project: 'elsewhere' })).count, 1);
  });
});

test('blueprint dependencies are DEPENDS_ON edges the graph sees and guards', async (t) => {
  await withClient(t, async (c) => {
    const a = (await blueprint(c, { action: 'create', title: 'A', description: 'first' })).blueprint_id;
    const b = (await blueprint(c, { action: 'create', title: 'B', description: 'second' })).blueprint_id;
    await blueprint(c, { action: 'add_dependency', dependent_blueprint_id: b, prerequisite_blueprint_id: a, is_critical: true });
    const q = await graph(c, { action: 'query', entity: `blueprint:${b}`, relation_type: 'DEPENDS_ON' });
    assert.equal(q.count, 1);
    assert.equal(q.relationships[0].target_id, `blueprint:${a}`);
    assert.deepEqual(q.relationships[0].properties, { dependency_type: 'blocking', is_critical: true });
    const cyc = await link(c, `blueprint:${a}`, `blueprint:${b}`, 'DEPENDS_ON', {}, { expectError: true });
    assert.match(cyc.error, /would close a cycle/);
    const p = await graph(c, { action: 'path', source_id: `blueprint:${b}`, target_id: `blueprint:${a}`, direction: 'outgoing' });
    assert.equal(p.length, 1);
  });
});
