// The official TypeScript client over stdio, Streamable HTTP and legacy SSE, against a server with
// default settings (plus --enable-writes, so that create_time_off can preview): one successful call
// per listed tool, every error path reaching the model as text (issue 13 points 1-3), ids that
// round-trip as numbers and strings, and resources/read of an unknown employee (-32002).
//
// One server (and one session) per transport, shared by the tests of that transport.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

import { assertCandidates, call, ok, searchAll, textOf, toolError } from './lib/contract.mjs';
import { openSession, TEST_TIMEOUT_MS, TRANSPORTS, REQUEST_TIMEOUT_MS } from './lib/harness.mjs';
import { discover, EXAMPLES, futureWorkday } from './lib/sandbox.mjs';

for (const transport of TRANSPORTS) {
  describe(`over ${transport}`, { timeout: 6 * TEST_TIMEOUT_MS }, () => {
    let s;
    let c;
    before(async () => {
      s = await openSession(transport, { args: ['--enable-writes'] });
      c = await discover(s);
    });
    after(async () => {
      await s?.close();
    });

    it('every listed tool answers one successful call (structuredContent validated by the SDK)', { timeout: TEST_TIMEOUT_MS }, async () => {
      assert.ok(s.toolList.length >= 6, `only ${s.toolList.length} tools listed`);
      const missing = s.toolList.map((t) => t.name).filter((n) => !EXAMPLES[n]);
      assert.deepEqual(missing, [], `listed tools without an example call in tests/e2e_ts/lib/sandbox.mjs: ${missing}`);
      for (const tool of s.toolList) {
        await ok(s, tool.name, EXAMPLES[tool.name](c));
      }
    });

    it('AMBIGUOUS: the text lists the candidates (id, name, department, email, status), at most 10, and how many more', { timeout: TEST_TIMEOUT_MS }, async () => {
      // "Anna": more than ten people (14 in the default sandbox); "Müller": a few (3).
      for (const name of ['Anna', 'Müller']) {
        const text = await toolError(s, 'get_pto_balance', { employee: name }, 'AMBIGUOUS');
        // The people the name can mean, as search_employee knows them.
        const everyone = await searchAll(s, { query: name, include_inactive: true });
        const matches = everyone.filter((e) => e.name.split(/[\s-]+/).some((part) => part.localeCompare(name, 'de', { sensitivity: 'base' }) === 0));
        assert.ok(matches.length >= 2, `the sandbox should have several people called ${name}`);
        assertCandidates(text, matches, `get_pto_balance({employee: "${name}"})`);
        if (name === 'Anna') assert.ok(matches.length > 10, `expected more than 10 people called Anna, found ${matches.length}`);
      }
      // Every tool that takes a person answers the same way.
      await toolError(s, 'get_employee', { employee: 'Anna' }, 'AMBIGUOUS');
      await toolError(s, 'list_absences', { employee: 'anna' }, 'AMBIGUOUS');
    });

    it('NOT_FOUND for an unknown id (as a string and as a number) and an unknown email', { timeout: TEST_TIMEOUT_MS }, async () => {
      await toolError(s, 'get_employee', { employee: '999999999' }, 'NOT_FOUND');
      await toolError(s, 'get_employee', { employee: 999999999 }, 'NOT_FOUND');
      await toolError(s, 'get_pto_balance', { employee: 'nobody@nowhere.example' }, 'NOT_FOUND');
    });

    it('VALIDATION_FAILED for a bad date names the field', { timeout: TEST_TIMEOUT_MS }, async () => {
      for (const [field, value] of [['from', '2026-13-45'], ['to', 'tomorrow-ish']]) {
        const text = await toolError(s, 'list_absences', { [field]: value }, 'VALIDATION_FAILED');
        assert.match(text, new RegExp(`\\b${field}\\b`), `the error does not name the field "${field}": ${text}`);
      }
      const text = await toolError(s, 'create_time_off', { employee: c.person.email, time_off_type: 'Paid vacation', start_date: '31.12.2030', dry_run: true }, 'VALIDATION_FAILED');
      assert.match(text, /\bstart_date\b/, `the error does not name start_date: ${text}`);
      assert.match(text, /YYYY-MM-DD/, `the error does not give the accepted form: ${text}`);
    });

    it('an unknown time-off type lists the valid type names', { timeout: TEST_TIMEOUT_MS }, async () => {
      const calls = [
        ['get_pto_balance', { employee: c.person.email, time_off_type: 'Sabbatical' }],
        ['create_time_off', { employee: c.person.email, time_off_type: 'Sabbatical', start_date: futureWorkday(c.today), dry_run: true }],
        ['list_absences', { time_off_types: ['Sabbatical'] }],
      ];
      for (const [name, args] of calls) {
        // The code is VALIDATION_FAILED (an argument the model can correct) or NOT_FOUND; either
        // way the text must let the model pick a real type.
        const text = await toolError(s, name, args, ['VALIDATION_FAILED', 'NOT_FOUND']);
        const absent = c.types.map((t) => t.name).filter((n) => !text.includes(n));
        assert.deepEqual(absent, [], `${name}: the error does not list these valid types: ${absent}; text: ${text}`);
      }
    });

    it('"me" without a caller is an error the model can act on', { timeout: TEST_TIMEOUT_MS }, async () => {
      for (const name of ['get_pto_balance', 'get_employee']) {
        const text = await toolError(s, name, { employee: 'me' }, 'VALIDATION_FAILED');
        assert.match(text, /"me"/, `${name}: the error does not say that "me" is the problem: ${text}`);
        assert.match(text, /\bemployee\b/, `${name}: the error does not name the field: ${text}`);
      }
    });

    it('WRITES_DISABLED reaches the model on a server started without --enable-writes', { timeout: TEST_TIMEOUT_MS }, async () => {
      const ro = await openSession(transport);
      try {
        for (const dry_run of [false, true]) {
          const text = await toolError(ro, 'create_time_off', { employee: c.person.email, time_off_type: 'Paid vacation', start_date: futureWorkday(c.today), dry_run }, 'WRITES_DISABLED');
          assert.match(text, /--enable-writes|PERSONIO_MCP_ENABLE_WRITES/, `the error does not say how writes are enabled: ${text}`);
        }
      } finally {
        await ro.close();
      }
    });

    it('argument errors are VALIDATION_FAILED results naming the field, not JSON-RPC errors', { timeout: TEST_TIMEOUT_MS }, async () => {
      const cases = [
        ['search_employee', { query: 'Müller', limit: 'ten' }, 'limit'],
        ['search_employee', { query: 'Müller', bogus: 1 }, 'bogus'],
        ['search_employee', { query: 'Müller', limit: 51 }, 'limit'],
        ['search_employee', { query: 'Müller', include_inactive: 'yes please' }, 'include_inactive'],
        ['get_employee', {}, 'employee'],
        ['get_employee', { employee: { id: 1 } }, 'employee'],
        ['list_absences', { limit: 201 }, 'limit'],
        ['list_absences', { status: ['on the moon'] }, 'status'],
        ['create_time_off', { employee: c.person.email, time_off_type: 'Paid vacation', start_date: futureWorkday(c.today), dry_run: 'yes' }, 'dry_run'],
      ];
      for (const [name, args, field] of cases) {
        const text = await toolError(s, name, args, 'VALIDATION_FAILED');
        assert.match(text, new RegExp(`\\b${field}\\b`), `${name}(${JSON.stringify(args)}): the error does not name "${field}": ${text}`);
      }
    });

    it('ids round-trip: what a result gives as an id is accepted back as a number and as a string', { timeout: TEST_TIMEOUT_MS }, async () => {
      const id = c.person.id;
      assert.ok(Number.isInteger(id), `search_employee gives the id as ${JSON.stringify(id)}, not a JSON number`);
      for (const employee of [id, String(id)]) {
        const got = await ok(s, 'get_employee', { employee });
        assert.equal(got.id ?? got.employee?.id, id, `get_employee(${JSON.stringify(employee)}) answered for someone else`);
        const balance = await ok(s, 'get_pto_balance', { employee });
        assert.equal(balance.employee.id, id);
        const absences = await ok(s, 'list_absences', { employee, from: `${c.year}-01-01`, to: `${c.year}-12-31` });
        assert.ok(absences.absences.every((a) => a.employee.id === id), 'list_absences by id returned someone else');
      }
      // A day type (an hour type would need times to preview).
      const dayBalance = c.balance.balances.find((b) => b.unit === 'days');
      assert.ok(dayBalance, `no balance of a day type: ${JSON.stringify(c.balance.balances)}`);
      const typeId = dayBalance.time_off_type_id;
      assert.ok(Number.isInteger(typeId), `get_pto_balance gives time_off_type_id as ${JSON.stringify(typeId)}, not a JSON number`);
      const typeName = dayBalance.name;
      for (const ref of [typeId, String(typeId)]) {
        const one = await ok(s, 'get_pto_balance', { employee: id, time_off_type: ref });
        assert.deepEqual(one.balances.map((b) => b.time_off_type_id), [typeId], `get_pto_balance time_off_type ${JSON.stringify(ref)}`);
        const preview = await ok(s, 'create_time_off', { employee: id, time_off_type: ref, start_date: futureWorkday(c.today), dry_run: true });
        assert.equal(preview.dry_run, true);
        assert.equal(preview.employee.id, id);
        const filtered = await ok(s, 'list_absences', { employee: id, time_off_types: [ref], from: `${c.year}-01-01`, to: `${c.year}-12-31` });
        assert.ok(filtered.absences.every((a) => a.time_off_type.id === typeId || a.time_off_type.name === typeName), 'list_absences time_off_types filter by id ignored');
      }
      // The type ids list_time_off_types gives are numbers too.
      assert.ok(c.types.every((t) => Number.isInteger(t.id)), `list_time_off_types ids: ${c.types.map((t) => JSON.stringify(t.id))}`);
      if (s.tools.cancel_time_off && c.absences.length) {
        const absence = EXAMPLES.cancel_time_off(c).absence_id;
        const asGiven = await call(s, 'cancel_time_off', { absence_id: absence, dry_run: true });
        assert.notEqual(asGiven.isError, true, `cancel_time_off refused the absence id list_absences gave: ${textOf(asGiven)}`);
        if (/^\d+$/.test(String(absence))) {
          const other = typeof absence === 'number' ? String(absence) : Number(absence);
          const r = await call(s, 'cancel_time_off', { absence_id: other, dry_run: true });
          assert.notEqual(r.isError, true, `cancel_time_off refused absence_id ${JSON.stringify(other)}: ${textOf(r)}`);
        }
      }
    });

    it('resources/read of an unknown employee is JSON-RPC error -32002 (resource not found)', { timeout: TEST_TIMEOUT_MS }, async () => {
      await assert.rejects(
        s.client.readResource({ uri: 'personio://employees/999999999' }, { timeout: REQUEST_TIMEOUT_MS }),
        (e) => {
          assert.ok(e instanceof McpError, `not a JSON-RPC error: ${e}`);
          assert.equal(e.code, -32002, `code ${e.code} (${e.message}); -32603 is "internal error", which this is not`);
          assert.notEqual(e.code, ErrorCode.InternalError);
          return true;
        },
      );
      // A known employee reads fine, so the URI form is right.
      const known = await s.client.readResource({ uri: `personio://employees/${c.person.id}` }, { timeout: REQUEST_TIMEOUT_MS });
      assert.ok(known.contents?.length, 'no contents for a known employee');
    });
  });
}

describe('"me" with a caller (stdio --as EMAIL --role employee)', { timeout: 2 * TEST_TIMEOUT_MS }, () => {
  it('resolves to the caller (without one it is VALIDATION_FAILED, tested above)', { timeout: TEST_TIMEOUT_MS }, async () => {
    // The anchor person's email, from a server without a caller.
    const anon = await openSession('stdio');
    let person;
    try {
      person = (await ok(anon, 'search_employee', { query: 'Jürgen Müller' })).employees[0];
    } finally {
      await anon.close();
    }
    const s = await openSession('stdio', { args: ['--as', person.email, '--role', 'employee'] });
    try {
      const balance = await ok(s, 'get_pto_balance', { employee: 'me' });
      assert.equal(balance.employee.id, person.id, '"me" resolved to someone else');
    } finally {
      await s.close();
    }
  });
});
