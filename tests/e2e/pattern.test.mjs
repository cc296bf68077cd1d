// pattern_action through the SDK client: the four code actions on text and on
// files of every language inside the project roots, code-mode
// analyze_patterns, and experience replay (log_attempt, get_patterns ranked
// by meaning, analyze_patterns statistics), with the refusals: escapes,
// binary, oversized, unknown language, bad parameters.
import assert from 'node:assert/strict';
import { symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { callTool, sandbox, withClient } from './helpers.mjs';

const pattern = (c, args, o) => callTool(c, 'pattern_action', args, o);

const FILES = {
  'src/app.py': '"""App."""\nimport os\n\nclass Greeter(Base):\n    """Says hello."""\n    greeting = "hi"\n\n    @staticmethod\n    async def hello(name: str = "you") -> str:\n        # answer\n        return name if name else "x"  # inline\n',
  'src/lib.c': '#include <stdio.h>\n/** Adds two ints. */\nstatic int add(int a, int b) { return a > b ? a : b; }\nstruct point { int x, y; };\n',
  'src/app.js': "import fs from 'fs';\n// Starts.\nexport function start(port = 80) { if (port) { return 1; } }\nclass Server extends Base { listen() {} }\n",
  'src/types.ts': 'export interface Shape { area(): number; }\nexport class Sq implements Shape { area(): number { return 1; } }\n',
  'src/view.tsx': 'export function View(props: Props) { return <p>{props.ok && "yes"}</p>; }\n',
  'src/main.go': 'package main\n\nimport "fmt"\n\n// Server serves.\ntype Server struct { Port int }\n\n// Start starts.\nfunc (s *Server) Start() error { fmt.Println(s.Port); return nil }\n',
  'src/lib.rs': 'use std::io;\n/// A stack.\npub struct Stack { items: Vec<i32> }\nimpl Stack {\n    /// Pushes.\n    pub fn push(&mut self, v: i32) { if v > 0 { self.items.push(v) } }\n}\n',
};

function project(t) {
  const sb = sandbox(t);
  for (const [name, text] of Object.entries(FILES)) sb.file(`proj/${name}`, text);
  sb.file('proj/notes.txt', 'plain text\n');
  writeFileSync(sb.file('proj/blob.py', ''), Buffer.from([0x78, 0x3d, 0x31, 0x0a, 0x00, 0x01, 0x02]));
  truncateSync(sb.file('proj/huge.py', ''), 8 * 1024 * 1024 + 1);
  sb.file('outside/secret.py', 'def secret():\n    pass\n');
  symlinkSync(join(sb.root, 'outside', 'secret.py'), join(sb.root, 'proj', 'link.py'));
  return { sb, env: { LTMC_PROJECT_ROOTS: join(sb.root, 'proj') } };
}

test('pattern_action code actions on every language, from files inside the roots', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    const expect = {
      'src/app.py': ['python', 'hello'],
      'src/lib.c': ['c', 'add'],
      'src/app.js': ['javascript', 'start'],
      'src/types.ts': ['typescript', 'area'],
      'src/view.tsx': ['tsx', 'View'],
      'src/main.go': ['go', 'Start'],
      'src/lib.rs': ['rust', 'push'],
    };
    for (const [file, [lang, name]] of Object.entries(expect)) {
      const r = await pattern(c, { action: 'extract_functions', file_path: file });
      assert.equal(r.language, lang, file);
      assert.equal(r.tool, 'tree-sitter');
      assert.equal(r.file_path, file);
      assert.equal(r.has_syntax_errors, false, file);
      assert.ok(r.functions.some((f) => f.name === name), `${file}: ${JSON.stringify(r.functions.map((f) => f.name))}`);
      for (const f of r.functions) {
        for (const k of ['name', 'line_number', 'args', 'returns', 'docstring', 'decorator_list', 'is_async', 'complexity', 'end_line', 'params', 'qualified_name']) {
          assert.ok(k in f, `${file}: function lacks ${k}`);
        }
      }
      const s = await pattern(c, { action: 'summarize_code', file_path: file });
      assert.match(s.summary, / code with \d+ classes, \d+ functions, \d+ imports across \d+ lines$/);
      assert.ok(['Low', 'Medium', 'High'].includes(s.complexity_rating));
    }

    const py = await pattern(c, { action: 'extract_functions', file_path: 'src/app.py' });
    const hello = py.functions[0];
    assert.equal(hello.qualified_name, 'Greeter.hello');
    assert.equal(hello.is_async, true);
    assert.equal(hello.is_method, true);
    assert.equal(hello.returns, 'str');
    assert.deepEqual(hello.decorator_list, ['staticmethod']);
    assert.deepEqual(hello.params, [{ name: 'name', type: 'str', default: '"you"' }]);
    assert.equal(hello.complexity, 2);
    assert.equal(hello.line_number, 9);

    const go = await pattern(c, { action: 'extract_functions', file_path: 'src/main.go' });
    assert.equal(go.functions[0].qualified_name, 'Server.Start');
    assert.equal(go.functions[0].docstring, 'Start starts.');
    const rs = await pattern(c, { action: 'extract_classes', file_path: 'src/lib.rs' });
    assert.deepEqual(rs.classes.map((k) => [k.name, k.kind, k.methods.map((m) => m.name)]), [['Stack', 'struct', ['push']]]);
    assert.equal(rs.classes[0].docstring, 'A stack.');

    const cls = await pattern(c, { action: 'extract_classes', file_path: 'src/app.py' });
    assert.equal(cls.count, 1);
    assert.equal(cls.classes[0].name, 'Greeter');
    assert.deepEqual(cls.classes[0].bases, ['Base']);
    assert.equal(cls.classes[0].docstring, 'Says hello.');
    assert.deepEqual(cls.classes[0].attributes, [{ name: 'greeting' }]);
    assert.equal(cls.classes[0].method_count, 1);

    const com = await pattern(c, { action: 'extract_comments', file_path: 'src/app.py', include_context: true });
    assert.deepEqual(com.comments.map((x) => [x.type, x.line_number]), [['docstring', 1], ['docstring', 5], ['block', 10], ['inline', 11]]);
    assert.equal(com.comments[3].full_line, '        return name if name else "x"  # inline');
    assert.deepEqual(com.comments[3].context.after, []);
    assert.equal(com.comments[2].context.before.length, 2);
    const onlyDoc = await pattern(c, { action: 'extract_comments', file_path: 'src/lib.c', comment_types: ['docstring'] });
    assert.equal(onlyDoc.comment_count, 1);
    assert.equal(onlyDoc.comments[0].parent_name, 'add');
    assert.equal(onlyDoc.comments[0].content, 'Adds two ints.');
  }, { sandbox: sb, env });
});

test('pattern_action code input as text, and the refusals', async (t) => {
  const { sb, env } = project(t);
  await withClient(t, async (c) => {
    // source_code and the original's code_content; python without a language
    const a = await pattern(c, { action: 'extract_functions', source_code: 'def f(a, b=1):\n    return a or b\n' });
    assert.equal(a.language, 'python');
    assert.equal(a.count, 1);
    assert.deepEqual(a.functions[0].args, ['a', 'b']);
    assert.equal(a.functions[0].complexity, 2);
    const b = await pattern(c, { action: 'extract_functions', code_content: 'fn main() { }', language: 'rs' });
    assert.equal(b.language, 'rust');
    assert.equal(b.functions[0].name, 'main');
    // a syntax error still gives what could be read
    const e = await pattern(c, { action: 'extract_functions', source_code: 'def ok():\n    pass\ndef broken(:\n' });
    assert.equal(e.has_syntax_errors, true);
    assert.equal(e.error_line, 3);
    assert.equal(e.functions[0].name, 'ok');

    const refusals = [
      [{ action: 'extract_functions' }, /Missing required parameter: source_code/],
      [{ action: 'extract_functions', source_code: 'x', language: 'cobol' }, /Unsupported language: cobol/],
      [{ action: 'extract_classes', file_path: 'notes.txt' }, /Cannot tell the language/],
      [{ action: 'extract_functions', file_path: 'blob.py' }, /binary/],
      [{ action: 'summarize_code', file_path: 'huge.py' }, /too large/],
      [{ action: 'extract_functions', file_path: 'missing.py' }, /not found/i],
      [{ action: 'extract_functions', file_path: '../outside/secret.py' }, /outside the project roots/],
      [{ action: 'extract_comments', file_path: 'link.py' }, /outside the project roots/],
      [{ action: 'extract_functions', file_path: join(sb.root, 'outside', 'secret.py') }, /outside the project roots/],
      [{ action: 'extract_comments', source_code: 'x', comment_types: ['nope'] }, /Invalid comment type/],
      [{ action: 'analyze_patterns', source_code: 'x', analysis_type: 'deep' }, /analysis_type/],
      [{ action: 'frobnicate' }, /Unknown pattern action: frobnicate/],
    ];
    for (const [args, re] of refusals) {
      const r = await pattern(c, args, { expectError: true });
      assert.match(r.error, re, JSON.stringify(args));
      assert.doesNotMatch(r.error, /def secret/);
    }
  }, { sandbox: sb, env });
});

test('pattern_action analyze_patterns on code: complexity, structure, design patterns', async (t) => {
  await withClient(t, async (c) => {
    const src = [
      'class Registry:',
      '    _instance = None',
      '    @classmethod',
      '    def get_instance(cls):',
      '        return cls._instance',
      'class Sorter:',
      '    def run(self): pass',
      'class Quick(Sorter):',
      '    def run(self): pass',
      'class Merge(Sorter):',
      '    def run(self): pass',
      'def make_sorter(kind):',
      '    if kind == "q" and True:',
      '        return Quick()',
      '    return Merge()',
    ].join('\n');
    const r = await pattern(c, { action: 'analyze_patterns', code_content: src });
    assert.equal(r.mode, 'code');
    const dp = r.analysis.design_patterns;
    assert.equal(dp.singleton.detected, true);
    assert.equal(dp.strategy.detected, true);
    assert.match(dp.strategy.evidence[0], /Sorter has interchangeable implementations: Quick, Merge/);
    assert.equal(dp.factory.detected, true);
    assert.equal(dp.observer.detected, false);
    assert.equal(r.analysis.complexity.cyclomatic_complexity, 2);
    assert.equal(r.analysis.complexity.class_count, 4);
    assert.deepEqual(r.analysis.structure.functions.map((f) => f.name), ['make_sorter']);
    const only = await pattern(c, { action: 'analyze_patterns', code_content: src, analysis_type: 'structure' });
    assert.deepEqual(Object.keys(only.analysis), ['structure']);
  });
});

test('pattern_action experience replay: log, find by meaning with successes first, statistics', async (t) => {
  await withClient(t, async (c) => {
    const code = 'def read_config(path):\n    with open(path) as f:\n        return yaml.safe_load(f)\n';
    const logged = [];
    for (const [result, error, ms] of [['fail', null, 40], ['pass', null, 20], ['partial', null, null]]) {
      const args = { action: 'log_attempt', pattern_type: 'config_loading', code_content: code, result, input_prompt: 'read the yaml configuration file', function_name: 'read_config', tags: ['yaml', 'io'] };
      if (error) args.error_message = error;
      if (ms !== null) args.execution_time_ms = ms;
      const r = await pattern(c, args);
      assert.equal(r.logged, true);
      assert.equal(typeof r.attempt_id, 'number');
      logged.push(r.attempt_id);
    }
    // the legacy service's names
    await pattern(c, { action: 'log_attempt', pattern_type: 'sorting', generated_code: 'items.sort(key=len)', input_prompt: 'sort the words by length', result: 'failure', error_message: "TypeError: object of type 'int' has no len() at line 4", execution_time_ms: 5 });
    await pattern(c, { action: 'log_attempt', pattern_type: 'sorting', generated_code: 'nums.sort(key=len)', input_prompt: 'sort numbers', result: 'fail', error_message: "TypeError: object of type 'float' has no len() at line 9" });

    const found = await pattern(c, { action: 'get_patterns', query: 'load settings from a yaml config file', top_k: 3 });
    assert.equal(found.count, 3);
    assert.deepEqual(found.patterns.map((p) => p.result), ['pass', 'partial', 'fail'], 'same code: successes first');
    assert.ok(found.patterns[0].similarity > 0.3);
    assert.ok(found.patterns[0].score >= found.patterns[1].score);
    assert.equal(found.patterns[0].function_name, 'read_config');
    assert.deepEqual(found.patterns[0].tags, ['yaml', 'io']);

    const sorting = await pattern(c, { action: 'get_patterns', query: 'sorting a list by length', limit: 1 });
    assert.equal(sorting.patterns[0].pattern_type, 'sorting');
    const filtered = await pattern(c, { action: 'get_patterns', result: 'fail', tags: 'yaml' });
    assert.deepEqual(filtered.patterns.map((p) => p.attempt_id), [logged[0]]);
    const none = await pattern(c, { action: 'get_patterns', since: '2999-01-01' });
    assert.equal(none.count, 0);

    const stats = await pattern(c, { action: 'analyze_patterns' });
    assert.equal(stats.mode, 'attempts');
    assert.equal(stats.total_patterns, 5);
    assert.equal(stats.pass_count, 1);
    assert.equal(stats.fail_count, 3);
    assert.equal(stats.partial_count, 1);
    assert.equal(stats.success_rate, 0.2);
    assert.ok(Math.abs(stats.avg_execution_time_ms - (40 + 20 + 5) / 3) < 1e-3);
    assert.deepEqual(stats.by_pattern_type.map((x) => [x.pattern_type, x.total, x.success_rate]), [['config_loading', 3, 0.3333], ['sorting', 2, 0]]);
    assert.equal(stats.common_failures.length, 1);
    assert.equal(stats.common_failures[0].error, "TypeError: object of type '?' has no len() at line N");
    assert.equal(stats.common_failures[0].count, 2);
    assert.equal(stats.trend.length, 1);
    assert.equal(stats.trend[0].total, 5);

    for (const [args, re] of [
      [{ action: 'log_attempt', pattern_type: 'x', result: 'pass' }, /code_content/],
      [{ action: 'log_attempt', pattern_type: 'x', code_content: 'y', result: 'maybe' }, /result/],
      [{ action: 'log_attempt', code_content: 'y', result: 'pass' }, /pattern_type/],
      [{ action: 'log_attempt', pattern_type: 'x', code_content: 'y', result: 'pass', execution_time_ms: -1 }, /execution_time_ms/],
      [{ action: 'get_patterns', until: 'soon' }, /until/],
      [{ action: 'analyze_patterns', bucket: 'month' }, /bucket/],
    ]) {
      const r = await pattern(c, args, { expectError: true });
      assert.match(r.error, re, JSON.stringify(args));
    }
    const after = await pattern(c, { action: 'analyze_patterns' });
    assert.equal(after.total_patterns, 5, 'refused calls wrote nothing');
  });
});
