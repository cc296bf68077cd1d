// config_action and configuration loading: schema from the settings table,
// export with sources, precedence (defaults < file < env < flags), bad
// config files, and the original ltmc_config.json layout.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { closeClean, config, connect, runCli, runCliExpect, sandbox, todo, withClient } from './helpers.mjs';

const SETTINGS = ['data_dir', 'db_path', 'project', 'log_level', 'busy_timeout_ms', 'sqlite_cache_mb', 'sqlite_mmap_mb',
  'sqlite_synchronous', 'max_message_mb', 'tools_page_size', 'embedding_backend', 'glove_path', 'hash_dim',
  'bert_model_dir', 'http_embedding_url', 'http_embedding_model', 'http_embedding_api_key', 'http_embedding_timeout_ms',
  'chunk_bytes', 'chunk_overlap_bytes', 'max_memory_bytes', 'context_neighbours', 'context_weight', 'lexical_weight',
  'near_duplicate_threshold', 'retrieve_token_budget', 'lexical_scan', 'bm25_b', 'project_roots', 'unix_tool_path',
  'unix_tools_disabled', 'unix_timeout_ms', 'unix_output_max_bytes', 'watch_max_dirs', 'cache_l1_entries', 'cache_l1_max_mb',
  'cache_ttl_seconds', 'redis_url', 'redis_host', 'redis_port', 'redis_password', 'redis_db', 'redis_timeout_ms',
  'redis_ttl_seconds', 'http', 'http_workers', 'http_max_connections', 'http_allowed_hosts', 'http_allowed_origins',
  'http_auth_token', 'conformance_fixtures'];
// Settings that have no default: unset unless configured (export_config shows null).
const NO_DEFAULT = ['data_dir', 'db_path', 'glove_path', 'bert_model_dir', 'http_embedding_url', 'http_embedding_model',
  'http_embedding_api_key', 'project_roots', 'unix_tools_disabled', 'redis_url', 'redis_host', 'redis_password', 'http',
  'http_allowed_hosts', 'http_allowed_origins', 'http_auth_token'];

test('validate_config: overall_valid on a good setup', async (t) => {
  await withClient(t, async (c, { sb }) => {
    const r = await config(c, { action: 'validate_config' });
    assert.equal(r.overall_valid, true, JSON.stringify(r.errors));
    assert.deepEqual(r.errors, []);
    assert.ok(Array.isArray(r.warnings));
    assert.match(r.validation_timestamp, /^\d{4}-\d{2}-\d{2}T/);
    const v = r.validation_results;
    assert.equal(v.data_dir.path, sb.dataDir);
    assert.equal(v.data_dir.writable, true);
    assert.equal(v.db_path.path, sb.dbPath);
    assert.equal(v.db_path.writable, true);
    assert.equal(v.db_path_valid, true);
    assert.equal(v.database.quick_check_ok, true);
    assert.ok(v.database.schema_version >= 1);
    assert.equal(v.config_file.loaded, false, 'no config file in the sandbox');
    assert.equal(v.environment_vars.LTMC_DATA_DIR, true);
    assert.equal(v.environment_vars.LTMC_PROJECT, false);
  });
});

test('validate_config: errors when the data dir cannot be created (a file is in the way)', async (t) => {
  const sb = sandbox(t, { dataEnv: false });
  const good = { data_dir: sb.dataDir };
  const cfgPath = sb.file('cfg/config.json', good);
  sb.file('blocker', 'I am a file, not a directory');
  const session = await connect(sb, { args: ['--config', cfgPath] });
  try {
    const ok = await config(session.client, { action: 'validate_config' });
    assert.equal(ok.overall_valid, true, JSON.stringify(ok.errors));
    assert.equal(ok.validation_results.config_file.path, cfgPath);
    assert.equal(ok.validation_results.config_file.loaded, true);

    // validate_config re-reads the sources as a restart would.
    writeFileSync(cfgPath, JSON.stringify({ data_dir: join(sb.root, 'blocker', 'data') }));
    const bad = await config(session.client, { action: 'validate_config' });
    assert.equal(bad.success, true, 'validation itself succeeds; the verdict is in overall_valid');
    assert.equal(bad.overall_valid, false);
    assert.equal(bad.validation_results.data_dir.writable, false);
    assert.ok(bad.errors.length >= 1);
    assert.ok(bad.errors.some((e) => e.includes(join(sb.root, 'blocker'))), JSON.stringify(bad.errors));
    assert.ok(bad.warnings.some((w) => /data_dir/.test(w) && /restart/.test(w)), JSON.stringify(bad.warnings));

    // An invalid file at run time is reported too, naming the key.
    writeFileSync(cfgPath, JSON.stringify({ no_such_setting: 1 }));
    const broken = await config(session.client, { action: 'validate_config' });
    assert.equal(broken.overall_valid, false);
    assert.equal(broken.validation_results.config_file.valid, false);
    assert.ok(broken.errors.some((e) => e.includes('no_such_setting')), JSON.stringify(broken.errors));

    // The running server is unaffected.
    assert.equal((await todo(session.client, { action: 'add', title: 'still works' })).success, true);
  } finally {
    await closeClean(session);
  }
});

test('validate_config: data dir replaced by a file while running', async (t) => {
  const sb = sandbox(t, { env: { LTMC_DB_PATH: null } });
  const dbPath = join(sb.root, 'db', 'ltmc.db');
  const session = await connect(sb, { env: { LTMC_DB_PATH: dbPath } });
  try {
    rmSync(sb.dataDir, { recursive: true, force: true });
    writeFileSync(sb.dataDir, 'not a dir');
    const r = await config(session.client, { action: 'validate_config' });
    assert.equal(r.overall_valid, false);
    assert.equal(r.validation_results.data_dir.writable, false);
    assert.equal(r.validation_results.db_path.writable, true);
    assert.ok(r.errors.some((e) => e.includes('not a directory')), JSON.stringify(r.errors));
  } finally {
    await closeClean(session);
  }
});

test('get_config_schema: generated from the settings table, matches --help', async (t) => {
  await withClient(t, async (c, { sb }) => {
    const r = await config(c, { action: 'get_config_schema' });
    assert.equal(r.schema_version, '1.0');
    assert.match(r.generated_at, /^\d{4}-/);
    const s = r.config_schema;
    assert.equal(s.type, 'object');
    assert.equal(s.additionalProperties, false);
    assert.deepEqual(Object.keys(s.properties).sort(), [...SETTINGS].sort());
    for (const [name, p] of Object.entries(s.properties)) {
      assert.ok(['string', 'integer', 'number', 'boolean'].includes(p.type), `${name}: type ${p.type}`);
      assert.ok(p.description && p.description.length > 5, `${name}: description`);
      assert.equal(p['x-env'], `LTMC_${name.toUpperCase()}`, `${name}: x-env`);
      assert.equal('default' in p, !NO_DEFAULT.includes(name), `${name}: default given exactly when the setting has one`);
      if (p.type === 'integer' || p.type === 'number') assert.ok(p.minimum <= p.default && p.default <= p.maximum, `${name}: default within bounds`);
    }
    assert.deepEqual(s.properties.embedding_backend.enum, ['glove', 'hash', 'bert', 'http']);
    assert.equal(s.properties.embedding_backend.default, 'glove');
    assert.equal(s.properties.max_memory_bytes.default, 1048576);
    assert.equal(s.properties.lexical_weight.type, 'number');
    assert.deepEqual([s.properties.lexical_weight.minimum, s.properties.lexical_weight.default, s.properties.lexical_weight.maximum], [0, 0.5, 1]);
    assert.equal(s.properties.http_embedding_api_key.writeOnly, true, 'the API key is a secret');
    assert.equal(s.properties.data_dir['x-legacy-key'], 'paths.data_dir');
    assert.equal(s.properties.db_path['x-legacy-key'], 'database.db_path');
    assert.equal(s.properties.log_level['x-legacy-key'], 'logging.level');
    assert.deepEqual(s.properties.log_level.enum, ['debug', 'info', 'warning', 'error', 'off']);
    assert.equal(s.properties.busy_timeout_ms.default, 5000);
    assert.equal(s.properties.tools_page_size.default, 100);
    assert.equal(s.properties.project.default, 'default');

    // The same table drives the CLI's flag list.
    const help = await runCliExpect(sb, ['--help'], 0);
    for (const [name, p] of Object.entries(s.properties)) {
      const flag = `--${name.replace(/_/g, '-')}`;
      const line = help.stdout.split('\n').find((l) => l.trim().startsWith(flag + ' '));
      assert.ok(line, `--help lacks ${flag}`);
      assert.ok(line.includes(`(env ${p['x-env']})`), `${flag} line lacks its env var: ${line}`);
    }
    // And export_config reports exactly these settings, each valid against the schema.
    const exp = await config(c, { action: 'export_config' });
    assert.deepEqual(Object.keys(exp.config_export.settings).sort(), [...SETTINGS].sort());
    for (const [name, v] of Object.entries(exp.config_export.settings)) {
      const p = s.properties[name];
      if (v === null) assert.ok(NO_DEFAULT.includes(name) && name !== 'data_dir' && name !== 'db_path', `${name} is null`);
      else if (p.type === 'integer') assert.ok(Number.isInteger(v) && v >= p.minimum && v <= p.maximum, `${name}=${v}`);
      else if (p.type === 'number') assert.ok(typeof v === 'number' && v >= p.minimum && v <= p.maximum, `${name}=${v}`);
      else assert.equal(typeof v, p.type, name);
      if (p.enum) assert.ok(p.enum.includes(v), `${name}=${v}`);
    }
  });
});

test('export_config: defaults only', async (t) => {
  const sb = sandbox(t, { env: { LTMC_LOG_LEVEL: null } });
  await withClient(t, async (c) => {
    const r = await config(c, { action: 'export_config' });
    assert.equal(r.format, 'sanitized_json');
    assert.equal(r.secrets_excluded, true);
    const e = r.config_export;
    assert.equal(e.config_file, null);
    assert.equal(e.export_version, '1.0');
    assert.equal(e.settings.data_dir, sb.dataDir);
    assert.equal(e.sources.data_dir, 'env');
    assert.equal(e.sources.db_path, 'env');
    assert.equal(e.sources.glove_path, 'env', 'the sandbox names the GloVe file through LTMC_GLOVE_PATH');
    for (const k of SETTINGS.filter((k) => !['data_dir', 'db_path', 'glove_path'].includes(k))) assert.equal(e.sources[k], 'default', k);
    assert.equal(e.settings.max_memory_bytes, 1048576);
    assert.equal(e.settings.lexical_weight, 0.5);
    assert.equal(e.settings.context_weight, 0.35);
    assert.equal(e.settings.http_embedding_api_key, null);
    assert.equal(e.settings.project, 'default');
    assert.equal(e.settings.log_level, 'info');
    assert.equal(e.settings.busy_timeout_ms, 5000);
    assert.equal(e.settings.tools_page_size, 100);
  }, { sandbox: sb });
});

test('precedence: defaults < file < env < flags, with sources reported', async (t) => {
  const sb = sandbox(t, { env: { LTMC_LOG_LEVEL: null } });
  const cfgPath = sb.file('conf/ltmc.json', {
    project: 'p-file',
    busy_timeout_ms: 1111,
    sqlite_cache_mb: 8,
    tools_page_size: 7,
    log_level: 'warning',
    sqlite_synchronous: 'full',
    lexical_weight: 0.25,
    near_duplicate_threshold: 0.9,
  });
  const env = { LTMC_PROJECT: 'p-env', LTMC_BUSY_TIMEOUT_MS: '2222', LTMC_TOOLS_PAGE_SIZE: '5', LTMC_SQLITE_SYNCHRONOUS: 'normal',
    LTMC_NEAR_DUPLICATE_THRESHOLD: '0.75', LTMC_HTTP_EMBEDDING_API_KEY: 'sk-e2e-do-not-echo' };
  const args = ['--config', cfgPath, '--project', 'p-flag', '--tools-page-size=2'];
  const session = await connect(sb, { env, args });
  try {
    const c = session.client;
    const e = (await config(c, { action: 'export_config' })).config_export;
    const expect = {
      project: ['p-flag', 'flag'], // file < env < flag
      tools_page_size: [2, 'flag'], // file < env < flag (--name=value form)
      busy_timeout_ms: [2222, 'env'], // file < env
      sqlite_synchronous: ['normal', 'env'],
      sqlite_cache_mb: [8, 'file'],
      log_level: ['warning', 'file'],
      sqlite_mmap_mb: [256, 'default'],
      max_message_mb: [64, 'default'],
      data_dir: [sb.dataDir, 'env'],
      lexical_weight: [0.25, 'file'], // a real-valued setting
      near_duplicate_threshold: [0.75, 'env'],
      http_embedding_api_key: ['********', 'env'], // a secret: masked, its source still shown
    };
    for (const [k, [v, src]] of Object.entries(expect)) {
      assert.equal(e.settings[k], v, `value of ${k}`);
      assert.equal(e.sources[k], src, `source of ${k}`);
    }
    assert.equal(e.config_file, cfgPath);
    const validated = await config(c, { action: 'validate_config' });
    for (const shown of [e, validated]) assert.doesNotMatch(JSON.stringify(shown), /sk-e2e-do-not-echo/, 'a secret is never echoed');
    // The effective values are the ones in use.
    const page = await c.listTools();
    assert.equal(page.tools.length, 2, 'tools_page_size=2 from the flag applies');
    assert.ok(page.nextCursor);
    assert.equal((await todo(c, { action: 'add', title: 'x' })).project, 'p-flag');
  } finally {
    await closeClean(session);
  }

  // The same sources through `ltmc call`.
  const r = await runCliExpect(sb, ['call', 'config_action', '{"action":"export_config"}', '--config', cfgPath, '--project=p-flag'], 0, { env });
  const out = JSON.parse(r.stdout).config_export;
  assert.equal(out.settings.project, 'p-flag');
  assert.equal(out.sources.project, 'flag');
  assert.equal(out.settings.tools_page_size, 5);
  assert.equal(out.sources.tools_page_size, 'env');
  assert.equal(out.sources.sqlite_cache_mb, 'file');
});

test('db_path :memory: serves a private, throw-away database', async (t) => {
  const sb = sandbox(t, { env: { LTMC_DB_PATH: ':memory:' } });
  await withClient(t, async (c) => {
    await todo(c, { action: 'add', title: 'ephemeral' });
    assert.equal((await todo(c, { action: 'list' })).total_count, 1);
    const e = (await config(c, { action: 'export_config' })).config_export;
    assert.equal(e.settings.db_path, ':memory:', ':memory: is not turned into a path');
    const v = await config(c, { action: 'validate_config' });
    assert.equal(v.overall_valid, true, JSON.stringify(v.errors));
  }, { sandbox: sb });
  await withClient(t, async (c) => {
    assert.equal((await todo(c, { action: 'list' })).total_count, 0, 'nothing survives the process');
  }, { sandbox: sb });
  assert.ok(!existsSync(join(sb.root, ':memory:')) && !existsSync(join(sb.dataDir, ':memory:')));
});

test('config file discovery: LTMC_CONFIG and $XDG_CONFIG_HOME/ltmc/config.json', async (t) => {
  const sb = sandbox(t);
  const xdgFile = join(sb.configHome, 'ltmc', 'config.json');
  mkdirSync(join(sb.configHome, 'ltmc'));
  writeFileSync(xdgFile, JSON.stringify({ project: 'from-xdg' }));
  const viaEnv = sb.file('elsewhere.json', { project: 'from-ltmc-config' });
  const call = async (opts) => JSON.parse((await runCliExpect(sb, ['call', 'config_action', '{"action":"export_config"}', '--compact'], 0, opts)).stdout).config_export;
  const x = await call();
  assert.equal(x.settings.project, 'from-xdg');
  assert.equal(x.config_file, xdgFile);
  const y = await call({ env: { LTMC_CONFIG: viaEnv } });
  assert.equal(y.settings.project, 'from-ltmc-config');
  assert.equal(y.config_file, viaEnv);
  // --config beats LTMC_CONFIG.
  const z = JSON.parse((await runCliExpect(sb, ['call', 'config_action', '{"action":"export_config"}', '--config', xdgFile], 0, { env: { LTMC_CONFIG: viaEnv } })).stdout);
  assert.equal(z.config_export.settings.project, 'from-xdg');
});

test('bad configuration makes serve and call exit non-zero, naming the key', async (t) => {
  const sb = sandbox(t);
  const cases = [
    [{ bogus_key: 1 }, /bogus_key/],
    [{ busy_timeout_ms: 'fast' }, /busy_timeout_ms/],
    [{ busy_timeout_ms: -5 }, /busy_timeout_ms/],
    [{ log_level: 'loud' }, /log_level/],
    [{ project: 5 }, /project/],
    [{ database: { db_path: 5 } }, /db_path/],
    ['{ not json', /not valid JSON/],
    ['[1,2]', /top level/],
  ];
  for (const [i, [content, re]] of cases.entries()) {
    const p = sb.file(`bad${i}.json`, content);
    const serve = await runCli(sb, ['serve', '--config', p], { input: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) + '\n' });
    assert.notEqual(serve.code, 0, `serve with ${JSON.stringify(content)} must fail`);
    assert.match(serve.stderr, re);
    assert.equal(serve.stdout, '', 'nothing on stdout when serve cannot start');
    assert.doesNotMatch(serve.stderr, /Sanitizer/);
    const call = await runCli(sb, ['call', 'todo_action', '{"action":"list"}', '--config', p]);
    assert.notEqual(call.code, 0);
    assert.match(call.stderr, re);
    assert.doesNotMatch(call.stderr, /Sanitizer/);
  }
  // Same through the environment and flags.
  const env = await runCli(sb, ['serve'], { env: { LTMC_BUSY_TIMEOUT_MS: 'abc' } });
  assert.notEqual(env.code, 0);
  assert.match(env.stderr, /LTMC_BUSY_TIMEOUT_MS/);
  assert.match(env.stderr, /busy_timeout_ms/);
  const flag = await runCli(sb, ['serve', '--no-such-option', 'x']);
  assert.notEqual(flag.code, 0);
  assert.match(flag.stderr, /no-such-option/);
  const range = await runCli(sb, ['call', 'todo_action', '{"action":"list"}', '--tools-page-size', '0']);
  assert.notEqual(range.code, 0);
  assert.match(range.stderr, /tools_page_size/);
  // A missing explicit config file is an error, not a silent default.
  const missing = await runCli(sb, ['serve', '--config', join(sb.root, 'nope.json')]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nope\.json/);
  // A bad file at the XDG location is found and reported too.
  mkdirSync(join(sb.configHome, 'ltmc'));
  writeFileSync(join(sb.configHome, 'ltmc', 'config.json'), JSON.stringify({ bogus_xdg_key: true }));
  const xdg = await runCli(sb, ['serve']);
  assert.notEqual(xdg.code, 0);
  assert.match(xdg.stderr, /bogus_xdg_key/);
});

test('original ltmc_config.json layout is accepted; unused sections warn', async (t) => {
  const sb = sandbox(t, { dataEnv: false, env: { LTMC_LOG_LEVEL: null } });
  const legacy = {
    version: '3.0',
    title: 'LTMC Configuration',
    description: 'original layout',
    database: { db_path: 'db/legacy.db', faiss_index_path: 'faiss_index', vector_dimension: 384, embedding_model: 'all-MiniLM-L6-v2' },
    redis: { enabled: false, host: 'localhost', port: 6382, password: 'secret', db: 0 },
    neo4j: { enabled: false, uri: 'bolt://localhost:7689', user: 'neo4j', password: 'secret', database: 'neo4j' },
    server: { host: 'localhost', port: 5050, transport: 'stdio' },
    logging: { level: 'WARNING', log_file: 'logs/ltmc.log' },
    features: { cache_enabled: true },
    paths: { data_dir: 'data', temp_dir: '/tmp', backup_dir: 'backup' },
    performance: { max_connections: 100 },
  };
  const cfgPath = sb.file('legacy/ltmc_config.json', legacy);
  const dir = join(sb.root, 'legacy');
  const session = await connect(sb, { args: ['--config', cfgPath] });
  try {
    const c = session.client;
    const e = (await config(c, { action: 'export_config' })).config_export;
    assert.equal(e.settings.data_dir, join(dir, 'data'), 'relative paths resolve against the config file directory');
    assert.equal(e.settings.db_path, join(dir, 'db', 'legacy.db'));
    assert.equal(e.settings.log_level, 'warning');
    for (const k of ['data_dir', 'db_path', 'log_level']) assert.equal(e.sources[k], 'file', k);
    await todo(c, { action: 'add', title: 'stored in the legacy db' });
    assert.ok(existsSync(join(dir, 'db', 'legacy.db')), 'the database is where database.db_path says');
    const v = await config(c, { action: 'validate_config' });
    assert.equal(v.overall_valid, true, JSON.stringify(v.errors));
    assert.ok(v.warnings.some((w) => w.includes("'neo4j.uri'")), JSON.stringify(v.warnings));
    assert.ok(!v.warnings.some((w) => w.includes("'paths.data_dir'")), 'used keys are not reported as ignored');
    // No secret from an ignored section is echoed back.
    assert.ok(!JSON.stringify(v).includes('secret'), 'ignored secrets must not be echoed');
  } finally {
    const stderr = await closeClean(session);
    assert.match(stderr, /neo4j\.uri/, 'serve warns about the ignored neo4j section on stderr');
    assert.doesNotMatch(stderr, /secret/);
  }
});
