// unix_action through the SDK client: the server's start directory is the
// project root; every escape is refused; results name the program that ran,
// with the external programs present and forced absent (an empty
// unix_tool_path, or unix_tools_disabled).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sandbox, unix, withClient } from './helpers.mjs';

function project(t) {
  const sb = sandbox(t);
  sb.file('proj/README.md', '# Demo\nneedle one\n');
  sb.file('proj/src/app.py', 'class App:\n    def run(self):\n        return "needle two"\n');
  sb.file('proj/data.json', { name: 'ltmc', list: [1, 2, 3] });
  sb.file('proj/a.txt', 'x\ny\n');
  sb.file('proj/b.txt', 'x\nz\n');
  sb.file('outside/secret.txt', 'needle secret\n');
  symlinkSync(join(sb.root, 'outside'), join(sb.root, 'proj', 'escape'));
  symlinkSync(join(sb.root, 'outside', 'secret.txt'), join(sb.root, 'proj', 'link.txt'));
  mkdirSync(join(sb.root, 'empty-bin'));
  return sb;
}

const ESCAPES = [
  { action: 'cat', file_path: '/etc/passwd' },
  { action: 'cat', file_path: '../outside/secret.txt' },
  { action: 'cat', file_path: 'escape/secret.txt' },
  { action: 'cat', file_path: 'link.txt' },
  { action: 'cat', file_path: '/proc/self/environ' },
  { action: 'cat', file_path: 'src/../../outside/secret.txt' },
  { action: 'ls', path: '..' },
  { action: 'ls', path: '/' },
  { action: 'tree', path: 'escape' },
  { action: 'grep', pattern: 'needle', path: '..' },
  { action: 'grep', pattern: 'needle', path: 'escape' },
  { action: 'find', pattern: '*', path: '/etc' },
  { action: 'jq', file_path: 'link.txt' },
  { action: 'diff_highlight', file1: 'a.txt', file2: '/etc/hostname' },
  { action: 'syntax_query', file_path: '../outside/secret.txt' },
  { action: 'parse_syntax', file_path: 'escape/secret.txt' },
  { action: 'disk_usage', path: '/' },
  { action: 'list_modern', path: '..' },
  { action: 'list_modern', path: 'escape', tree_view: true },
  { action: 'syntax_highlight', file_path: 'link.txt' },
  { action: 'syntax_highlight', file_path: '/etc/passwd' },
];

for (const mode of ['present', 'absent']) {
  test(`unix_action with external programs ${mode}`, async (t) => {
    const sb = project(t);
    const env = { LTMC_PROJECT_ROOTS: join(sb.root, 'proj') };
    if (mode === 'absent') env.LTMC_UNIX_TOOL_PATH = join(sb.root, 'empty-bin');
    await withClient(t, async (c) => {
      for (const args of ESCAPES) {
        const r = await unix(c, args, { expectError: true });
        assert.match(r.error, /outside the project roots/, JSON.stringify(args));
        assert.doesNotMatch(r.error, /needle secret|root:/);
      }
      const ls = await unix(c, { action: 'ls' });
      assert.deepEqual(ls.files, ['README.md', 'a.txt', 'b.txt', 'data.json', 'escape', 'link.txt', 'src']);
      for (const k of ['files', 'path', 'count', 'tool', 'raw_output']) assert.ok(k in ls, `ls lacks ${k}`);

      const cat = await unix(c, { action: 'cat', file_path: 'src/app.py' });
      assert.equal(cat.lines, 3);
      for (const k of ['content', 'file_path', 'tool', 'lines']) assert.ok(k in cat, `cat lacks ${k}`);

      const grep = await unix(c, { action: 'grep', pattern: 'needle' });
      assert.equal(grep.tool, mode === 'present' && existsSync('/usr/bin/rg') ? 'ripgrep' : 'builtin');
      assert.deepEqual(grep.matches.map((m) => `${m.file}:${m.line_number}`).sort(), ['README.md:2', 'src/app.py:3']);

      const tree = await unix(c, { action: 'tree' });
      assert.equal(tree.tool, mode === 'present' && existsSync('/usr/bin/tree') ? 'tree' : 'builtin');
      assert.equal(tree.directory_count, 1); // src; the symlinks are listed as entries, never entered
      assert.equal(tree.file_count, 7);
      assert.match(tree.tree_output, /app\.py/);
      assert.doesNotMatch(tree.tree_output, /secret/);

      const find = await unix(c, { action: 'find', pattern: '*.py' });
      assert.deepEqual(find.files_found, ['src/app.py']);
      assert.equal(find.tool, mode === 'present' && existsSync('/usr/bin/fdfind') ? 'fd' : 'builtin');
      const all = await unix(c, { action: 'find', pattern: '*', max_depth: 1 });
      assert.deepEqual(all.files_found, ['README.md', 'a.txt', 'b.txt', 'data.json', 'escape', 'link.txt', 'src']);

      if (mode === 'present' && existsSync('/usr/bin/jq')) {
        const jq = await unix(c, { action: 'jq', query: '.list | add', file_path: 'data.json' });
        assert.equal(jq.result, '6');
        assert.equal(jq.tool, 'jq');
      } else {
        const jq = await unix(c, { action: 'jq', query: '.', json_input: '{}' }, { expectError: true });
        assert.match(jq.error, /jq is not available/);
      }
      const diff = await unix(c, { action: 'diff_highlight', file1: 'a.txt', file2: 'b.txt', line_numbers: false });
      assert.equal(diff.diff_output, '  x\n- y\n+ z\n');
      const fz = await unix(c, { action: 'fuzzy_select', input_list: ['alpha', 'beta', 'alphabet'], query: 'abt', multi_select: true });
      assert.deepEqual(fz.selected_items, ['alphabet']);
      assert.equal(fz.tool, mode === 'present' && existsSync('/usr/bin/fzf') ? 'fzf' : 'builtin');
      const du = await unix(c, { action: 'disk_usage', output_format: 'json' });
      assert.equal(du.tool, mode === 'present' && existsSync('/usr/bin/duf') ? 'duf' : 'builtin');
      assert.equal(du.disk_info.length, 1);
      assert.ok(du.total_size > 0 && du.available_space > 0);
      const sq = await unix(c, { action: 'syntax_query', file_path: 'src/app.py', query_type: 'classes' });
      assert.deepEqual(sq.results.map((x) => x.name), ['App']);
      const lm = await unix(c, { action: 'list_modern', classify: true });
      const lsd = mode === 'present' && existsSync('/usr/bin/lsd');
      assert.equal(lm.tool, lsd ? 'lsd' : 'builtin');
      // lsd sorts without regard to case, the built-in by bytes.
      assert.deepEqual([...lm.files].sort(), ['README.md', 'a.txt', 'b.txt', 'data.json', 'escape@', 'link.txt@', 'src/']);
      assert.equal(lm.count, 7);
      assert.equal(lm.path, '.');
      assert.equal(lm.formatted_output, lm.files.join('\n') + '\n');
      const lt = await unix(c, { action: 'list_modern', tree_view: true, long_format: true, show_all: true });
      assert.match(lt.formatted_output, /app\.py/);
      assert.doesNotMatch(lt.formatted_output, /secret|\.\.$/m);
      const hl = await unix(c, { action: 'syntax_highlight', file_path: 'src/app.py' });
      const bat = mode === 'present' && existsSync('/usr/bin/batcat');
      assert.equal(hl.tool, bat ? 'batcat' : 'builtin');
      assert.equal(hl.language, 'python');
      assert.equal(hl.file_path, 'src/app.py');
      assert.match(hl.highlighted_content, /\u001b\[/);
      assert.match(hl.highlighted_content.replace(/\u001b\[[0-9;]*m/g, ''), /class App:\n/);
      const hc = await unix(c, { action: 'syntax_highlight', content: '{"a": 1}', language: 'json' });
      assert.equal(hc.file_path, null);
      assert.equal(hc.language, 'json');
      const help = await unix(c, { action: 'help', command: 'tree' });
      assert.equal(help.tool, 'ltmc');
      const bad = await unix(c, { action: 'chmod' }, { expectError: true });
      assert.match(bad.error, /^Unknown unix action: chmod/);
    }, { sandbox: sb, env });
  });
}

test('unix_action: unix_tools_disabled forces the built-in code', async (t) => {
  const sb = project(t);
  await withClient(t, async (c) => {
    const grep = await unix(c, { action: 'grep', pattern: 'needle', path: 'proj' });
    assert.equal(grep.tool, 'builtin');
    assert.equal(grep.count, 2);
    const tree = await unix(c, { action: 'tree', path: 'proj' });
    assert.equal(tree.tool, 'builtin');
    assert.equal((await unix(c, { action: 'find', pattern: '*.py', path: 'proj' })).tool, 'builtin');
    // Without project_roots the start directory (the sandbox) is the root.
    const out = await unix(c, { action: 'cat', file_path: 'outside/secret.txt' });
    assert.equal(out.content, 'needle secret\n');
    await unix(c, { action: 'ls', path: '..' }, { expectError: true });
  }, { sandbox: sb, env: { LTMC_UNIX_TOOLS_DISABLED: 'rg,tree,fdfind' } });
});
