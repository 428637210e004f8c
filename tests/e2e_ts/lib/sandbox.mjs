// What the tests learn from the seeded sandbox through the tools themselves (never hard-coded ids):
// the sandbox promises, for every seed, Jürgen Müller, several people called Anna, the departments
// Engineering and Sales, and the time-off type "Paid vacation" (days); its data covers the
// calendar year of the server's today (get_pto_balance's as_of).

import assert from 'node:assert/strict';

import { ok } from './contract.mjs';

/** A weekday (Wednesday) about a year ahead of `today` (YYYY-MM-DD): free of seeded absences. */
export function futureWorkday(today) {
  const d = new Date(`${Number(today.slice(0, 4)) + 1}-09-01T00:00:00Z`);
  while (d.getUTCDay() !== 3) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** The day after `date` (YYYY-MM-DD). */
export function nextDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/** A weekday on or after `date` (YYYY-MM-DD). */
export function weekdayFrom(date) {
  const d = new Date(`${date}T00:00:00Z`);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

export async function discover(session) {
  const found = await ok(session, 'search_employee', { query: 'Jürgen Müller' });
  const person = found.employees[0];
  assert.equal(person?.name, 'Jürgen Müller', `the sandbox's anchor person is missing: ${JSON.stringify(found).slice(0, 400)}`);
  const balance = await ok(session, 'get_pto_balance', { employee: person.email });
  const today = balance.as_of;
  assert.match(today, /^\d{4}-\d{2}-\d{2}$/);
  const types = (await ok(session, 'list_time_off_types', {})).types;
  const vacation = types.find((t) => t.name === 'Paid vacation');
  assert.ok(vacation, `no "Paid vacation" type: ${JSON.stringify(types)}`);
  const year = today.slice(0, 4);
  const absences = (await ok(session, 'list_absences', { employee: person.email, from: `${year}-01-01`, to: `${year}-12-31`, limit: 200 })).absences;
  // Anyone's absences that have not started yet (cancellable), when this year has any left.
  const upcoming = today < `${year}-12-31`
    ? (await ok(session, 'list_absences', { from: nextDay(today), to: `${year}-12-31`, limit: 200 })).absences.filter((a) => a.start_date > today)
    : [];
  return { person, balance, today, types, vacation, absences, upcoming, year };
}

/**
 * One successful call per tool, by name. A tool that tools/list shows and this table lacks fails
 * the per-tool test (add its example here): nothing is skipped by name.
 */
export const EXAMPLES = {
  search_employee: () => ({ query: 'Müller' }),
  get_employee: (c) => ({ employee: c.person.email }),
  get_pto_balance: (c) => ({ employee: c.person.email }),
  list_absences: (c) => ({ employee: c.person.email, from: `${c.year}-01-01`, to: `${c.year}-12-31` }),
  list_time_off_types: () => ({}),
  create_time_off: (c) => ({
    employee: c.person.email,
    time_off_type: 'Paid vacation',
    start_date: futureWorkday(c.today),
    dry_run: true,
  }),
  // Previewed, never written: an absence that has not started yet (else the anchor person's latest).
  cancel_time_off: (c) => {
    const pick = c.upcoming[0] ?? [...c.absences].sort((a, b) => (a.start_date < b.start_date ? 1 : -1))[0];
    assert.ok(pick, 'no absence to cancel in the sandbox');
    return { absence_id: pick.id, dry_run: true };
  },
};
