// Broad questions are answered, not refused (issue 13 point 6): "who is out today?" in a company of
// 2,000 (about 240 absences a day) gives the total, a summary that covers all of them (counts by
// department and by type) and a first page with a cursor. Same for a broad employee search.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ok } from './lib/contract.mjs';
import { connect, TEST_TIMEOUT_MS } from './lib/harness.mjs';
import { weekdayFrom } from './lib/sandbox.mjs';

const EMPLOYEES = 2000;

/**
 * The counts of one breakdown of `summary` (the entry whose key matches `key`): either a map
 * {name: count} or a list of {…, count}. Returns [name, count] pairs.
 */
function breakdown(summary, key) {
  const entry = Object.entries(summary).find(([k]) => key.test(k));
  assert.ok(entry, `the summary has no breakdown matching ${key}: ${JSON.stringify(summary).slice(0, 500)}`);
  const [, value] = entry;
  if (Array.isArray(value)) {
    return value.map((row) => {
      const count = row.count ?? row.absences ?? row.total;
      assert.ok(Number.isInteger(count), `a ${key} row without a count: ${JSON.stringify(row)}`);
      return [row.name ?? row.department ?? row.type ?? row.time_off_type ?? JSON.stringify(row), count];
    });
  }
  assert.ok(value && typeof value === 'object', `${key}: not a map or a list: ${JSON.stringify(value)}`);
  return Object.entries(value).map(([name, count]) => {
    assert.ok(Number.isInteger(count), `${key} ${name}: count ${JSON.stringify(count)}`);
    return [name, count];
  });
}

describe(`a sandbox with ${EMPLOYEES} employees`, { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  let s;
  let day;
  before(async () => {
    s = await connect('stdio', { args: ['--sandbox-employees', String(EMPLOYEES)] });
    const person = (await ok(s, 'search_employee', { query: 'Jürgen Müller' })).employees[0];
    day = weekdayFrom((await ok(s, 'get_pto_balance', { employee: person.email })).as_of);
  });
  after(async () => {
    await s?.close();
  });

  it('list_absences for everyone over one day gives total, a summary and a first page with a cursor', { timeout: TEST_TIMEOUT_MS }, async () => {
    const r = await ok(s, 'list_absences', { from: day, to: day });
    console.log(`list_absences ${day} over ${EMPLOYEES} employees: total ${r.total}, page ${r.absences.length}`);
    assert.ok(r.total > 100, `expected a broad result (about 240 absences on a working day), got total ${r.total}`);
    assert.ok(r.absences.length > 0 && r.absences.length < r.total, `first page ${r.absences.length} of ${r.total}`);
    assert.equal(typeof r.next_cursor, 'string', 'no next_cursor on a partial first page');
    for (const a of r.absences) assert.ok(a.start_date <= day && a.end_date >= day, `outside the day: ${JSON.stringify(a)}`);
    assert.ok(r.summary && typeof r.summary === 'object', `no summary: ${Object.keys(r)}`);
    for (const key of [/department/i, /type/i]) {
      const counts = breakdown(r.summary, key);
      assert.ok(counts.length >= 2, `${key}: fewer than two groups: ${JSON.stringify(counts)}`);
      const sum = counts.reduce((n, [, c]) => n + c, 0);
      assert.equal(sum, r.total, `${key}: the counts add up to ${sum}, not the total ${r.total}`);
    }
    // The cursor works: the second page continues without repeating the first.
    const next = await ok(s, 'list_absences', { from: day, to: day, cursor: r.next_cursor });
    const firstIds = new Set(r.absences.map((a) => a.id));
    assert.ok(next.absences.length > 0, 'the second page is empty');
    assert.ok(next.absences.every((a) => !firstIds.has(a.id)), 'the second page repeats the first');
  });

  it('a broad employee search gives the total and a first page with a cursor', { timeout: TEST_TIMEOUT_MS }, async () => {
    const r = await ok(s, 'search_employee', { query: '', department: 'Engineering' });
    assert.ok(r.total > r.employees.length, `total ${r.total}, page ${r.employees.length}`);
    assert.equal(typeof r.next_cursor, 'string');
    assert.ok(r.employees.every((e) => e.department === 'Engineering'), 'someone outside Engineering');
  });
});
