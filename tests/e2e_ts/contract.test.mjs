// The contract's own checks have teeth: fed results that break the contract, they fail. (No
// server: synthetic results in the shapes the server could send.)

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { assertCandidates, assertToolError } from './lib/contract.mjs';

const text = (t) => ({ isError: true, content: [{ type: 'text', text: t }] });

describe('assertToolError', () => {
  it('accepts an error in the contract shape', () => {
    assert.equal(assertToolError(text('NOT_FOUND: no employee has id 1. Use search_employee.'), 'NOT_FOUND', 'ok'), 'NOT_FOUND: no employee has id 1. Use search_employee.');
  });

  it('rejects an error with structuredContent, a wrong or missing code, or no isError', () => {
    const broken = [
      { ...text('NOT_FOUND: no employee has id 1.'), structuredContent: { error: { code: 'NOT_FOUND' } } },
      text('failed to deserialize parameters: invalid type'),
      text('NOT_FOUND no colon'),
      text('AMBIGUOUS: 3 match'),
      { content: [{ type: 'text', text: 'NOT_FOUND: no employee has id 1.' }] },
      { isError: true, content: [{ type: 'image', data: '', mimeType: 'image/png' }] },
    ];
    for (const r of broken) assert.throws(() => assertToolError(r, 'NOT_FOUND', 'broken'), assert.AssertionError, JSON.stringify(r));
  });
});

describe('assertCandidates', () => {
  const people = Array.from({ length: 14 }, (_, i) => ({
    id: 1000 + i,
    name: `Anna Person${i}`,
    email: `anna.person${i}@example.test`,
    department: i % 2 ? 'Sales' : 'Engineering',
    status: i === 3 ? 'inactive' : 'active',
  }));
  const line = (p) => `- ${p.id} ${p.name} (${p.department}, ${p.email}, ${p.status})`;
  const good = `AMBIGUOUS: 14 employees match "Anna".\n${people.slice(0, 10).map(line).join('\n')}\nand 4 more, narrow by department.`;

  it('accepts ten candidates with id, name, department, email and status, and "and 4 more"', () => {
    assert.equal(assertCandidates(good, people, 'good').length, 10);
  });

  it('rejects more than ten, a missing "and N more", a missing status, or no names at all', () => {
    const broken = [
      `AMBIGUOUS: 14 match.\n${people.slice(0, 11).map(line).join('\n')}\nand 3 more`,
      `AMBIGUOUS: 14 match.\n${people.slice(0, 10).map(line).join('\n')}`,
      `AMBIGUOUS: 14 match.\n${people.slice(0, 10).map((p) => line(p).replace(`, ${p.status}`, '')).join('\n')}\nand 4 more`,
      `AMBIGUOUS: 14 match.\n${people.slice(0, 10).map(line).join('\n')}\nand 40 more`,
      'AMBIGUOUS: 14 employees match that name; ask the user which one is meant.',
    ];
    for (const t of broken) assert.throws(() => assertCandidates(t, people, 'broken'), assert.AssertionError, t);
  });
});
