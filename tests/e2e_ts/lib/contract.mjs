// The model's contract (issue 13), as assertions on what the official TypeScript client receives.
//
// - A success: not isError, structuredContent valid against the tool's outputSchema (the SDK checks
//   it and throws otherwise; checked here again, independently, with Ajv's Draft 2020-12), and a
//   text copy of the same JSON, compact (no newlines).
// - An error: isError === true, NO structuredContent (so no client can reject it against the output
//   schema), and content[0] a text block that starts with the stable code and ": ".
// Neither may surface as a client exception: a thrown McpError means the model never saw the text.

import assert from 'node:assert/strict';

import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

import { REQUEST_TIMEOUT_MS } from './harness.mjs';

const addFormats = addFormatsModule.default ?? addFormatsModule;
// strict: false and no logger: non-standard formats are reported by the schema checks
// (schemas.test.mjs), not here, where only the instance matters.
const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
addFormats(ajv);
const validators = new WeakMap();

export function textOf(result) {
  return (result.content ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** tools/call through the SDK; a thrown error is turned into an assertion failure that says so. */
export async function call(session, name, args) {
  try {
    return await session.client.callTool({ name, arguments: args }, undefined, { timeout: REQUEST_TIMEOUT_MS });
  } catch (e) {
    assert.fail(
      `${name}(${JSON.stringify(args)}) threw in the TypeScript client instead of returning a result ` +
        `the model can read: ${e?.code !== undefined ? `[${e.code}] ` : ''}${e?.message ?? e}`,
    );
  }
}

/** A successful call; returns structuredContent. */
export async function ok(session, name, args) {
  const result = await call(session, name, args);
  const what = `${name}(${JSON.stringify(args)})`;
  assert.notEqual(result.isError, true, `${what} failed: ${textOf(result)}`);
  const sc = result.structuredContent;
  assert.ok(sc && typeof sc === 'object' && !Array.isArray(sc), `${what}: no structuredContent: ${JSON.stringify(result).slice(0, 500)}`);
  const schema = session.tools[name]?.outputSchema;
  assert.ok(schema, `${what}: the tool advertises no outputSchema`);
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  assert.ok(validate(sc), `${what}: structuredContent does not match the outputSchema: ${ajv.errorsText(validate.errors)}`);
  const first = result.content?.[0];
  assert.equal(first?.type, 'text', `${what}: content[0] is not text`);
  assert.deepEqual(JSON.parse(first.text), sc, `${what}: the text content is not a copy of structuredContent`);
  assert.ok(!first.text.includes('\n'), `${what}: the text copy is pretty-printed, not compact JSON`);
  return sc;
}

/** Asserts `result` is a tool error with `code` in the contract's shape; returns its text. */
export function assertToolError(result, code, what) {
  const codes = Array.isArray(code) ? code : [code];
  assert.equal(result.isError, true, `${what}: expected ${codes.join(' or ')}, got a success: ${JSON.stringify(result).slice(0, 500)}`);
  assert.equal(
    result.structuredContent,
    undefined,
    `${what}: an error result carries structuredContent (${String(JSON.stringify(result.structuredContent)).slice(0, 300)}); ` +
      'clients validate it against the output schema and reject it',
  );
  const first = result.content?.[0];
  assert.equal(first?.type, 'text', `${what}: content[0] of the error is not text: ${JSON.stringify(result.content)}`);
  const text = first.text;
  const matched = codes.find((c) => text.startsWith(`${c}: `));
  assert.ok(matched, `${what}: the error text does not start with "${codes.join('" or "')}: ": ${JSON.stringify(text.slice(0, 300))}`);
  assert.ok(text.length > matched.length + 10, `${what}: the error text says nothing beyond the code: ${text}`);
  return text;
}

/** A tool error with `code` (one code or a list of acceptable ones); returns its text. */
export async function toolError(session, name, args, code) {
  const result = await call(session, name, args);
  return assertToolError(result, code, `${name}(${JSON.stringify(args)})`);
}

/**
 * AMBIGUOUS text lists candidates: every candidate it names (found by email among `matches`, the
 * people the name matches) shows on its line id, name, department and status; at most 10 are
 * shown, and "and N more" counts the rest. Returns the candidates shown.
 */
export function assertCandidates(text, matches, what) {
  const lines = text.split('\n');
  const shown = matches.filter((m) => m.email && text.includes(m.email));
  assert.ok(shown.length >= 2, `${what}: AMBIGUOUS names fewer than two candidates (by email): ${text}`);
  assert.ok(shown.length <= 10, `${what}: AMBIGUOUS lists ${shown.length} candidates, more than 10: ${text}`);
  for (const m of shown) {
    const line = lines.find((l) => l.includes(m.email));
    assert.ok(line.includes(String(m.id)), `${what}: candidate ${m.email} shown without its id ${m.id}: ${line}`);
    assert.ok(line.includes(m.name), `${what}: candidate ${m.email} shown without its name: ${line}`);
    if (m.department) assert.ok(line.includes(m.department), `${what}: candidate ${m.email} shown without department ${m.department}: ${line}`);
    if (m.status) assert.match(line, new RegExp(`\\b${m.status}\\b`), `${what}: candidate ${m.email} shown without status ${m.status}: ${line}`);
  }
  if (matches.length > 10) {
    const more = text.match(/and (\d+) more/);
    assert.ok(more, `${what}: ${matches.length} people match but the text has no "and N more": ${text}`);
    const all = shown.length + Number(more[1]);
    assert.ok(all > 10 && all <= matches.length, `${what}: ${shown.length} shown "and ${more[1]} more", but ${matches.length} people have that name`);
  }
  return shown;
}

/** All pages of search_employee. */
export async function searchAll(session, args, maxPages = 60) {
  const out = [];
  let cursor;
  for (let i = 0; i < maxPages; i++) {
    const page = await ok(session, 'search_employee', { ...args, limit: 50, ...(cursor ? { cursor } : {}) });
    out.push(...page.employees);
    cursor = page.next_cursor;
    if (!cursor) {
      assert.equal(out.length, page.total, `search_employee(${JSON.stringify(args)}) paged ${out.length}, total ${page.total}`);
      return out;
    }
  }
  assert.fail(`search_employee(${JSON.stringify(args)}) did not finish within ${maxPages} pages`);
}
