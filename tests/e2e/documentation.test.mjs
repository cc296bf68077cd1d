// documentation_action through the SDK client: API docs from files and from
// given sources in every language, the dependency diagram of a real tree
// (Mermaid and PlantUML), a page per file, consistency checks; and bad
// input: binary files, syntax errors, huge files, paths outside the roots.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { callTool, sandbox, withClient } from './helpers.mjs';

const doc = (c, args, o) => callTool(c, 'documentation_action', args, o);

function project(t) {
  const sb = sandbox(t);
  sb.file('proj/src/main.c', '#include <stdio.h>\n#include "util.h"\n\n/** Entry point. */\nint main(void) { return util_run(1); }\n');
  sb.file('proj/src/util.h', '/**\n * Runs it.\n * @param n how many times\n * @return 0 on success\n */\nint util_run(int n);\n');
  sb.file('proj/src/util.c', '#include "util.h"\n\n/**\n * Runs it.\n * @param count how many\n */\nint util_run(int n) { return n > 0 ? 0 : 1; }\n');
  sb.file('proj/app/models.py', 'class User:\n    """A user of the system."""\n\n    def rename(self, new_name: str) -> None:\n        """Rename the user.\n\n        Args:\n            new_name: the new name\n        """\n        self.name = new_name\n');
  sb.file('proj/app/service.py', 'import os\nfrom .models import User\n\ndef create(name, email):\n    """Create."""\n    return User()\n');
  sb.file('proj/web/index.ts', "import { fmt } from './fmt';\nimport React from 'react';\n/** Shows it. @param x the value */\nexport function show(x: number): string { return fmt(x); }\n");
  sb.file('proj/web/fmt.ts', '/** Formats. */\nexport function fmt(v: number): string { return String(v); }\n');
  sb.file('proj/go/main.go', 'package main\n\nimport "fmt"\n\n// Hello says hello.\nfunc Hello(name string) string { return fmt.Sprint(name) }\n');
  sb.file('proj/rs/lib.rs', '/// Adds.\n///\n/// # Arguments\n///\n/// * `a` - first\n/// * `b` - second\n///\n/// # Returns\n///\n/// The sum.\npub fn add(a: i32, b: i32) -> i32 { a + b }\n');
  sb.file('proj/node_modules/dep/index.js', 'module.exports = 1;\n');
  sb.file('proj/broken.py', 'def ok():\n    """Fine."""\n    return 1\n\ndef broken(:\n    pass\n');
  writeFileSync(join(sb.root, 'proj', 'blob.py'), Buffer.from([0x64, 0x65, 0x66, 0x00, 0xff, 0xfe, 0x01]));
  writeFileSync(join(sb.root, 'proj', 'huge.py'), Buffer.alloc(9 * 1024 * 1024, 'x = 1\n'));
  sb.file('outside/secret.py', 'def secret():\n    pass\n');
  symlinkSync(join(sb.root, 'outside'), join(sb.root, 'proj', 'escape'));
  symlinkSync(join(sb.root, 'outside', 'secret.py'), join(sb.root, 'proj', 'link.py'));
  return { sb, env: { LTMC_PROJECT_ROOTS: join(sb.root, 'proj') } };
}

test('generate_api_docs from files on disk and from given sources, markdown and JSON', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    const md = await doc(c, { action: 'generate_api_docs', file_paths: ['src/util.c', 'app/models.py', 'web/index.ts', 'go/main.go', 'rs/lib.rs'], project_id: 'demo' });
    assert.equal(md.output_format, 'markdown');
    assert.equal(md.files_processed, 5);
    assert.equal(md.files_failed, 0);
    assert.match(md.documentation, /^# API Documentation - demo/);
    assert.match(md.documentation, /### Class: `User`/);
    assert.match(md.documentation, /#### `def rename\(self, new_name: str\) -> None`/);
    assert.match(md.documentation, /### Function: `int util_run\(int n\)`/);
    assert.match(md.documentation, /export function show\(x: number\): string|function show\(x: number\): string/);
    assert.match(md.documentation, /func Hello\(name string\) string/);
    assert.match(md.documentation, /pub fn add\(a: i32, b: i32\) -> i32/);
    assert.ok(md.total_functions >= 5 && md.total_classes === 1, JSON.stringify(md));

    const js = await doc(c, { action: 'generate_api_docs', output_format: 'json', source_files: { 'svc.py': 'def f(a: int, b=2) -> int:\n    """F."""\n    return a\n', 'lib.go': 'package lib\n\nfunc G() {}\n' } });
    assert.equal(js.files_processed, 2);
    const py = js.documentation.files.find((f) => f.path === 'svc.py');
    assert.equal(py.language, 'python');
    assert.deepEqual(py.functions[0].params.map((p) => [p.name, p.type, p.default]), [['a', 'int', null], ['b', null, '2']]);
    assert.equal(py.functions[0].return_type, 'int');
    assert.equal(py.functions[0].doc, 'F.');

    // A directory: every source file under it, vendor directories skipped.
    const dir = await doc(c, { action: 'generate_api_docs', directory_path: 'web', output_format: 'json' });
    assert.deepEqual(dir.documentation.files.map((f) => f.path).sort(), ['fmt.ts', 'index.ts']);

    // language override for text without an extension
    const lang = await doc(c, { action: 'generate_api_docs', source_files: { snippet: 'fn x() {}\n' }, language: 'rust', output_format: 'json' });
    assert.equal(lang.documentation.files[0].language, 'rust');
  }, { sandbox: sb, env });
});

test('generate_api_docs reports bad files per file: binary, syntax errors, huge, outside the roots', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    const r = await doc(c, { action: 'generate_api_docs', output_format: 'json', file_paths: ['broken.py', 'blob.py', 'huge.py', '/etc/passwd', '../outside/secret.py', 'escape/secret.py', 'link.py', 'nope.py'] });
    assert.equal(r.files_processed, 1, JSON.stringify(r.errors));
    assert.equal(r.files_failed, 7);
    const broken = r.documentation.files.find((f) => f.path === 'broken.py');
    assert.equal(broken.has_errors, true);
    assert.equal(broken.error_line, 5);
    assert.equal(broken.functions[0].name, 'ok');
    const err = Object.fromEntries(r.errors.map((e) => [e.path, e.error]));
    assert.match(err['blob.py'], /binary|UTF-8/i);
    assert.match(err['huge.py'], /too large|limit/i);
    for (const p of ['/etc/passwd', '../outside/secret.py', 'escape/secret.py', 'link.py']) assert.match(err[p], /outside the project roots/, p);
    assert.match(err['nope.py'], /not found/i);
    for (const e of r.errors) assert.doesNotMatch(e.error, /def secret/);

    const none = await doc(c, { action: 'generate_api_docs' }, { expectError: true });
    assert.match(none.error, /source_files|file_paths|directory_path/);
    const badLang = await doc(c, { action: 'generate_api_docs', source_files: { a: 'x' }, language: 'cobol' }, { expectError: true });
    assert.match(badLang.error, /Unsupported language: cobol/);
    const notText = await doc(c, { action: 'generate_api_docs', source_files: { 'a.py': 42 } }, { expectError: true });
    assert.match(notText.error, /must be the source text/);
    const unk = await doc(c, { action: 'generate_api_docs', source_files: { 'a.cob': 'x' }, output_format: 'json' });
    assert.equal(unk.files_failed, 1);
    assert.match(unk.errors[0].error, /Unknown language/);
  }, { sandbox: sb, env });
});

test('generate_architecture_diagram: the real dependency graph as Mermaid and PlantUML', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    const both = await doc(c, { action: 'generate_architecture_diagram', format: 'both' });
    const edges = both.graph.edges.map((e) => `${e.from} -> ${e.to}`);
    for (const e of ['src/main.c -> src/util.h', 'src/util.c -> src/util.h', 'src/main.c -> stdio.h', 'app/service.py -> app/models.py', 'app/service.py -> os', 'web/index.ts -> web/fmt.ts', 'web/index.ts -> react', 'go/main.go -> fmt'])
      assert.ok(edges.includes(e), `missing edge ${e} in ${JSON.stringify(edges)}`);
    assert.equal(both.edges, both.graph.edges.length);
    assert.equal(both.nodes, both.graph.nodes.length);
    assert.ok(!both.graph.nodes.some((n) => (n.path ?? '').startsWith('node_modules')), 'vendor directory skipped');
    assert.ok(!both.graph.nodes.some((n) => (n.path ?? '').includes('secret')), 'the symlink out of the root is not followed');
    assert.match(both.mermaid, /flowchart LR/);
    assert.match(both.mermaid, /subgraph/);
    assert.match(both.plantuml, /^@startuml/);
    assert.match(both.plantuml, /@enduml\n$/);
    assert.equal(both.diagram_content, both.mermaid);
    assert.equal(both.include_dependencies, true);
    // broken, binary and huge files are listed, not fatal
    const skipped = both.skipped.map((s) => s.path).sort();
    assert.deepEqual(skipped, ['blob.py', 'huge.py']);

    const puml = await doc(c, { action: 'generate_architecture_diagram', format: 'plantuml', include_dependencies: false, directory_path: 'src' });
    assert.equal(puml.format, 'plantuml');
    assert.match(puml.diagram_content, /\[main.c\] as n\d+/);
    assert.doesNotMatch(puml.diagram_content, /stdio/);
    assert.equal(puml.nodes, 3);
    assert.equal(puml.edges, 2);

    const few = await doc(c, { action: 'generate_architecture_diagram', max_files: 2 });
    assert.equal(few.truncated, true);
    assert.equal(few.files_scanned, 2);

    for (const d of ['..', '/etc', 'escape'])
      assert.match((await doc(c, { action: 'generate_architecture_diagram', directory_path: d }, { expectError: true })).error, /outside the project roots/);
  }, { sandbox: sb, env });
});

test('sync_documentation_with_code and validate_documentation_consistency', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    const s = await doc(c, { action: 'sync_documentation_with_code', file_path: 'app/service.py', project_id: 'demo' });
    assert.match(s.synchronized_content, /^# service.py - Auto-generated Documentation/);
    assert.match(s.synchronized_content, /## Functions/);
    assert.deepEqual(s.code_structure.imports, ['os', '.models']);
    assert.equal(s.code_structure.functions[0].name, 'create');
    assert.deepEqual(s.code_structure.functions[0].args, ['name', 'email']);
    assert.equal(s.force_update, false);

    const v = await doc(c, { action: 'validate_documentation_consistency', file_path: 'src/util.c' });
    const kinds = v.issues.map((i) => `${i.element}:${i.kind}`);
    assert.ok(kinds.includes('util_run:param_stale'), JSON.stringify(v.issues));
    assert.ok(kinds.includes('util_run:param_undocumented'));
    assert.ok(v.consistency_score < 1);
    assert.ok(['excellent', 'good', 'fair', 'poor'].includes(v.consistency_level));
    const good = await doc(c, { action: 'validate_documentation_consistency', file_path: 'rs/lib.rs' });
    assert.equal(good.consistency_score, 1);
    assert.equal(good.consistency_level, 'excellent');
    assert.deepEqual(good.issues, []);
    const svc = await doc(c, { action: 'validate_documentation_consistency', file_path: 'app/service.py' });
    assert.ok(svc.issues.some((i) => i.kind === 'doc_too_short' && i.line === 4));

    for (const f of ['blob.py', 'huge.py', '../outside/secret.py', 'link.py', '/etc/passwd'])
      await doc(c, { action: 'validate_documentation_consistency', file_path: f }, { expectError: true });
    const brk = await doc(c, { action: 'sync_documentation_with_code', file_path: 'broken.py' });
    assert.equal(brk.has_errors, true);
  }, { sandbox: sb, env });
});
