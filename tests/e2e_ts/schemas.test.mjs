// What tools/list costs and whether every client can use it (issue 13 points 4 and 5):
// - its JSON is at most 12 KB (measured on the real list, printed for BENCHMARKS.md);
// - `--tools a,b` and PERSONIO_MCP_TOOLS expose exactly those tools; an unknown name fails start-up;
// - the schemas are portable: standard formats only, no `type` arrays, no `$ref` cycles, no
//   oneOf/anyOf where a plain enum does, bounded limits that match their descriptions, enums for
//   statuses and units;
// - the MCP Inspector CLI's `--strict` schema check reports nothing.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { connect, serverBin, serverEnv, TEST_TIMEOUT_MS } from './lib/harness.mjs';

/** The budget for the whole tools/list (all tools, default settings), in bytes of JSON. */
const TOOLS_LIST_BUDGET = 12 * 1024;

/** Formats every JSON Schema implementation knows (Draft 2020-12, "Defined Formats"). */
const STANDARD_FORMATS = new Set([
  'date-time', 'date', 'time', 'duration', 'email', 'idn-email', 'hostname', 'idn-hostname', 'ipv4',
  'ipv6', 'uri', 'uri-reference', 'iri', 'iri-reference', 'uuid', 'uri-template', 'json-pointer',
  'relative-json-pointer', 'regex',
]);

const SUBSCHEMA = ['items', 'not', 'additionalProperties', 'contains', 'if', 'then', 'else', 'propertyNames'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions'];

/** Calls visit(node, path, propertyName) for every subschema of `schema`. */
function walk(schema, visit, path = '', prop = undefined, depth = 0) {
  assert.ok(depth < 64, `${path}: schema nested deeper than 64 levels`);
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
  visit(schema, path, prop);
  for (const k of SUBSCHEMA) if (k in schema) walk(schema[k], visit, `${path}/${k}`, prop, depth + 1);
  for (const k of SUBSCHEMA_LISTS) (schema[k] ?? []).forEach((sub, i) => walk(sub, visit, `${path}/${k}/${i}`, prop, depth + 1));
  for (const k of SUBSCHEMA_MAPS) {
    for (const [name, sub] of Object.entries(schema[k] ?? {})) {
      walk(sub, visit, `${path}/${k}/${name}`, k === 'properties' ? name : undefined, depth + 1);
    }
  }
}

/** The `$ref` targets reachable from each `$defs` entry, to find cycles. */
function refCycles(schema) {
  const defs = { ...(schema.definitions ?? {}), ...(schema.$defs ?? {}) };
  const refsOf = (node) => {
    const out = [];
    walk(node, (n) => {
      if (typeof n.$ref === 'string') out.push(n.$ref.replace(/^#\/(\$defs|definitions)\//, ''));
    });
    return out;
  };
  const cycles = [];
  const visiting = new Set();
  const done = new Set();
  const dfs = (name, trail) => {
    if (visiting.has(name)) {
      cycles.push([...trail, name].join(' -> '));
      return;
    }
    if (done.has(name) || !(name in defs)) return;
    visiting.add(name);
    for (const next of refsOf(defs[name])) dfs(next, [...trail, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of Object.keys(defs)) dfs(name, []);
  return cycles;
}

/** The plain values of a oneOf/anyOf branch that only lists values ({const} or {enum}), else null. */
function valueOnly(branch) {
  if (!branch || typeof branch !== 'object') return null;
  const keys = Object.keys(branch).filter((k) => !['description', 'title', 'type'].includes(k));
  if (keys.length === 1 && keys[0] === 'const') return [branch.const];
  if (keys.length === 1 && keys[0] === 'enum') return branch.enum;
  return null;
}

/** Every portability problem of one schema, as "path: problem" lines. */
export function portabilityProblems(schema) {
  const problems = [];
  walk(schema, (node, path, prop) => {
    const at = path || '/';
    if (Array.isArray(node.type)) problems.push(`${at}: type is an array ${JSON.stringify(node.type)}`);
    if (node.format !== undefined && !STANDARD_FORMATS.has(node.format)) problems.push(`${at}: non-standard format "${node.format}"`);
    if (typeof node.$ref === 'string' && !node.$ref.startsWith('#')) problems.push(`${at}: remote $ref ${node.$ref}`);
    for (const k of ['oneOf', 'anyOf']) {
      const branches = node[k];
      if (Array.isArray(branches) && branches.length > 0 && branches.every((b) => valueOnly(b) !== null)) {
        problems.push(`${at}: ${k} of plain values where an enum would do`);
      }
    }
    // Limits are bounded, and the bounds are the ones the description promises ("1 to 50").
    if (prop === 'limit' && (node.type === 'integer' || node.type === 'number')) {
      if (node.minimum === undefined || node.maximum === undefined) problems.push(`${at}: limit without minimum/maximum`);
      const promised = /(\d+)\s*(?:to|–|-|\.\.)\s*(\d+)/.exec(node.description ?? '');
      if (promised && (Number(promised[1]) !== node.minimum || Number(promised[2]) !== node.maximum)) {
        problems.push(`${at}: description says ${promised[1]}–${promised[2]}, schema says ${node.minimum}–${node.maximum}`);
      }
    }
  });
  for (const c of refCycles(schema)) problems.push(`$ref cycle ${c}`);
  return problems;
}

/**
 * For every property named `prop` in `schema`: whether its string values are an enum (looked for
 * on the property, its items, and its anyOf/oneOf branches and their items).
 */
function enumsOf(schema, prop) {
  const isString = (n) => n && (n.type === 'string' || (Array.isArray(n.type) && n.type.includes('string')));
  const found = [];
  walk(schema, (node, _path, p) => {
    if (p !== prop) return;
    const branches = [node, ...(node.anyOf ?? []), ...(node.oneOf ?? [])];
    const places = [...branches, ...branches.map((b) => b?.items)].filter(Boolean);
    const strings = places.filter((n) => isString(n) || Array.isArray(n.enum));
    if (strings.length === 0) return; // not a string-valued field (e.g. an object called status)
    found.push(strings.every((n) => Array.isArray(n.enum) && n.enum.length > 0));
  });
  return found;
}

describe('tools/list', { timeout: 6 * TEST_TIMEOUT_MS }, () => {
  let s;
  before(async () => {
    s = await connect('stdio');
  });
  after(async () => {
    await s?.close();
  });

  it(`is at most ${TOOLS_LIST_BUDGET} bytes of JSON with every tool`, { timeout: TEST_TIMEOUT_MS }, () => {
    const bytes = Buffer.byteLength(JSON.stringify(s.toolList), 'utf8');
    const perTool = s.toolList.map((t) => `${t.name} ${Buffer.byteLength(JSON.stringify(t))}`).join(', ');
    console.log(`tools/list: ${s.toolList.length} tools, ${bytes} bytes (${perTool})`);
    assert.ok(s.toolList.length >= 6, `only ${s.toolList.length} tools listed`);
    assert.ok(bytes <= TOOLS_LIST_BUDGET, `tools/list is ${bytes} bytes, over the ${TOOLS_LIST_BUDGET}-byte budget (${perTool})`);
  });

  it('has portable input and output schemas', { timeout: TEST_TIMEOUT_MS }, () => {
    const problems = [];
    for (const tool of s.toolList) {
      for (const kind of ['inputSchema', 'outputSchema']) {
        if (tool[kind]) problems.push(...portabilityProblems(tool[kind]).map((p) => `${tool.name}.${kind}${p.startsWith('/') ? '' : ' '}${p}`));
      }
    }
    assert.deepEqual(problems, [], `${problems.length} portability problems:\n${problems.join('\n')}`);
  });

  it('bounds every limit argument and gives statuses and units as enums', { timeout: TEST_TIMEOUT_MS }, () => {
    const limits = s.toolList.filter((t) => t.inputSchema?.properties?.limit);
    assert.ok(limits.length >= 2, 'search_employee and list_absences take a limit');
    for (const t of limits) {
      const limit = t.inputSchema.properties.limit;
      assert.equal(limit.type, 'integer', `${t.name}.limit type`);
      assert.equal(limit.minimum, 1, `${t.name}.limit minimum`);
      assert.ok(Number.isInteger(limit.maximum) && limit.maximum <= 200, `${t.name}.limit maximum ${limit.maximum}`);
    }
    assert.equal(s.tools.search_employee.inputSchema.properties.limit.maximum, 50);
    assert.equal(s.tools.list_absences.inputSchema.properties.limit.maximum, 200);
    const missing = [];
    for (const t of s.toolList) {
      for (const kind of ['inputSchema', 'outputSchema']) {
        for (const prop of ['status', 'unit']) {
          enumsOf(t[kind] ?? {}, prop).forEach((has, i) => {
            if (!has) missing.push(`${t.name}.${kind} ${prop} #${i + 1}`);
          });
        }
      }
    }
    assert.deepEqual(missing, [], `statuses/units without an enum: ${missing.join(', ')}`);
    // The checks above would find these: they are real.
    // Output schemas are shallow below their top-level fields (context economy): create_time_off's
    // top-level `unit` is the one the check must find.
    assert.ok(enumsOf(s.tools.create_time_off.outputSchema, 'unit').length >= 1, 'create_time_off output has no unit field to check');
    assert.ok(enumsOf(s.tools.search_employee.inputSchema, 'status').length === 1, 'search_employee input has no status field to check');
  });

  it('the portability check finds what it is meant to find', () => {
    // A check that cannot fail proves nothing: feed it the problems the issue names.
    const bad = {
      type: 'object',
      properties: {
        id: { type: 'integer', format: 'uint32' },
        x: { type: ['string', 'null'] },
        kind: { oneOf: [{ const: 'a' }, { const: 'b' }] },
        limit: { type: 'integer', description: 'Results per page, 1 to 50.', minimum: 0 },
        node: { $ref: '#/$defs/Node' },
      },
      $defs: { Node: { type: 'object', properties: { next: { $ref: '#/$defs/Node' } } } },
    };
    const found = portabilityProblems(bad).join('\n');
    for (const expected of ['uint32', 'type is an array', 'enum would do', 'limit without minimum/maximum', '$ref cycle']) {
      assert.ok(found.includes(expected), `the check misses "${expected}":\n${found}`);
    }
  });
});

describe('--tools and PERSONIO_MCP_TOOLS', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  const wanted = ['get_pto_balance', 'list_absences'];

  it('--tools exposes exactly the named tools', { timeout: TEST_TIMEOUT_MS }, async () => {
    const s = await connect('stdio', { args: ['--tools', wanted.join(',')] });
    try {
      assert.deepEqual(s.toolList.map((t) => t.name).sort(), wanted);
      // And a tool not exposed is not callable either.
      await assert.rejects(s.client.callTool({ name: 'search_employee', arguments: { query: 'Müller' } }));
    } finally {
      await s.close();
    }
  });

  it('PERSONIO_MCP_TOOLS does the same', { timeout: TEST_TIMEOUT_MS }, async () => {
    const s = await connect('stdio', { env: { PERSONIO_MCP_TOOLS: wanted.join(',') } });
    try {
      assert.deepEqual(s.toolList.map((t) => t.name).sort(), wanted);
    } finally {
      await s.close();
    }
  });

  it('an unknown tool name fails start-up and says which', { timeout: TEST_TIMEOUT_MS }, async () => {
    const proc = spawn(serverBin(), ['serve', '--sandbox', '--tools', 'get_pto_balance,no_such_tool'], {
      env: serverEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    // Were the flag ignored, the server would serve and exit 0 when stdin closes.
    proc.stdin.end();
    const timer = setTimeout(() => proc.kill('SIGKILL'), TEST_TIMEOUT_MS / 2);
    const code = await new Promise((resolve) => proc.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    assert.notEqual(code, 0, `serve --tools with an unknown name exited 0; stderr: ${stderr}`);
    assert.match(stderr, /no_such_tool/, `stderr does not name the unknown tool: ${stderr}`);
  });
});

describe('MCP Inspector CLI --strict', { timeout: 2 * TEST_TIMEOUT_MS }, () => {
  it('reports no schema finding for tools/list', { timeout: TEST_TIMEOUT_MS }, async () => {
    const require = createRequire(import.meta.url);
    const launcher = join(dirname(require.resolve('@modelcontextprotocol/inspector/package.json')), 'clients/launcher/build/index.js');
    // The Inspector keeps a catalog under $HOME: give it a throwaway one.
    const home = await mkdtemp(join(tmpdir(), 'e2e-ts-inspector-'));
    try {
      const args = [launcher, '--cli', serverBin(), 'serve', '--sandbox', '--method', 'tools/list', '--strict', '--format', 'json'];
      const proc = spawn(process.execPath, args, {
        env: { ...serverEnv(), HOME: home, MCP_CATALOG_PATH: join(home, 'mcp.json'), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d) => (stdout += d));
      proc.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => proc.kill('SIGKILL'), TEST_TIMEOUT_MS / 2);
      const code = await new Promise((resolve) => proc.on('exit', (c) => resolve(c)));
      clearTimeout(timer);
      const envelope = JSON.parse(stdout.trim().split('\n').pop() || '{}');
      // The listing really happened (otherwise "no findings" would prove nothing).
      assert.ok(envelope.result?.tools?.length >= 6, `the Inspector listed no tools (exit ${code}); stderr:\n${stderr.slice(-3000)}`);
      const findings = (envelope.schemaFindings ?? []).flatMap((r) => r.findings.map((f) => `${f.severity} ${f.rule}: ${r.toolName} ${f.schema}.${f.path}`));
      assert.deepEqual(findings, [], `Inspector --strict: ${findings.length} findings:\n${findings.join('\n')}`);
      assert.equal(code, 0, `the Inspector exited ${code}; stderr:\n${stderr.slice(-3000)}`);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
