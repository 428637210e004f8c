// Protocol edges (issue 13 points 7 and 8), below the SDK where a well-behaved client never goes:
// - stdio: a line that is not JSON-RPC (garbage, invalid UTF-8, a NUL byte, deep nesting, 20 MB)
//   gets a JSON-RPC error response (-32700 parse error) and the session goes on;
// - Streamable HTTP: DELETE of a session answers 200 or 204, and 404 for an unknown session; bad
//   JSON and a batch array get a JSON-RPC error body;
// - default HTTP limits let a normal client through: a burst of 64 calls and 300 back to back.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { ok } from './lib/contract.mjs';
import { connect, HttpServer, RawStdio, REQUEST_TIMEOUT_MS, TEST_TIMEOUT_MS } from './lib/harness.mjs';

describe('stdio: malformed lines', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  let raw;
  let nextId = 1;
  before(async () => {
    raw = new RawStdio();
    const init = await raw.initialize();
    assert.ok(init.result?.serverInfo, `initialize failed: ${JSON.stringify(init)}`);
  });
  after(async () => {
    const code = await raw?.close();
    assert.equal(code, 0, `after the malformed lines, the server ${code === null ? 'did not exit (killed)' : `exited ${code}`} when stdin closed; stderr:\n${raw.stderr().slice(-1500)}`);
  });

  /** Writes `bytes` (one bad line) and a ping after it; expects an error for the line, then the pong. */
  async function badLineAnswered(bytes, what, codes = [-32700]) {
    const errorsBefore = raw.messages.filter((m) => m.error && m.id === null).length;
    raw.write(bytes);
    const id = nextId++;
    const pong = await raw.request({ jsonrpc: '2.0', id, method: 'ping' });
    assert.deepEqual(pong.result, {}, `${what}: the session did not go on (ping answered ${JSON.stringify(pong)})`);
    const errors = raw.messages.filter((m) => m.error && m.id === null);
    assert.ok(errors.length > errorsBefore, `${what}: no JSON-RPC error response (id null) for the line; stderr:\n${raw.stderr().slice(-1500)}`);
    const err = errors[errorsBefore];
    assert.equal(err.jsonrpc, '2.0');
    assert.ok(codes.includes(err.error.code), `${what}: error code ${err.error.code}, expected ${codes}`);
    assert.equal(typeof err.error.message, 'string');
    assert.deepEqual(raw.badLines, [], `stdout carried lines that are not JSON: ${raw.badLines.slice(0, 2)}`);
  }

  it('a garbage line gets -32700 and the session goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
    await badLineAnswered(Buffer.from('this is not json at all\n'), 'garbage');
    await badLineAnswered(Buffer.from('{"jsonrpc": "2.0", "id": 99, "method": \n'), 'truncated JSON');
  });

  it('invalid UTF-8 gets -32700 and the session goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
    await badLineAnswered(Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d, 0x0a]), 'invalid UTF-8');
  });

  it('a NUL byte gets -32700 and the session goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
    await badLineAnswered(Buffer.from('{"jsonrpc":"2.0","id":"nul","method":"ping"\u0000}\n', 'utf8'), 'NUL in JSON');
    await badLineAnswered(Buffer.from([0x00, 0x0a]), 'a lone NUL');
  });

  it('deep nesting gets -32700 and the session goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
    await badLineAnswered(Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), 'deep nesting');
  });

  it('a 20 MB line gets a JSON-RPC error and the session goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
    const huge = `{"jsonrpc":"2.0","id":"huge","method":"ping","params":{"pad":"${'x'.repeat(20 * 1024 * 1024)}"}}\n`;
    // Too large is not "invalid JSON": -32600 (invalid request) is as right as -32700.
    await badLineAnswered(Buffer.from(huge), '20 MB line', [-32700, -32600]);
  });
});

describe('stdio: end of input', { timeout: 2 * TEST_TIMEOUT_MS }, () => {
  it('the server exits 0 when stdin closes (how clients stop it)', { timeout: TEST_TIMEOUT_MS }, async () => {
    const raw = new RawStdio();
    await raw.initialize();
    const pong = await raw.request({ jsonrpc: '2.0', id: 'p', method: 'ping' });
    assert.deepEqual(pong.result, {});
    const code = await raw.close();
    assert.equal(code, 0, `the server ${code === null ? 'did not exit within 20 s (killed)' : `exited ${code}`} after stdin closed; stderr:\n${raw.stderr().slice(-1500)}`);
  });
});

/** POSTs `body` (a string) to /mcp with the headers a Streamable HTTP client sends. */
async function post(server, body, headers = {}) {
  return fetch(`${server.url}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

/** The JSON-RPC messages in a response body, whether JSON or an SSE stream. */
async function messagesOf(response) {
  const text = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    return text
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trim())
      .filter(Boolean)
      .map((d) => JSON.parse(d));
  }
  try {
    return [JSON.parse(text)];
  } catch {
    assert.fail(`the body is not JSON (${response.status}, ${response.headers.get('content-type')}): ${text.slice(0, 300)}`);
  }
}

describe('Streamable HTTP edges', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  let server;
  before(async () => {
    server = await HttpServer.start();
  });
  after(async () => {
    const code = await server?.stop();
    assert.equal(code, 0, `serve --http exited ${code} after SIGTERM; stderr:\n${server?.stderr()}`);
  });

  it('DELETE of a session answers 200 or 204; an unknown or ended session 404', { timeout: TEST_TIMEOUT_MS }, async () => {
    const init = await post(server, JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e-ts-raw', version: '0' } },
    }));
    assert.equal(init.status, 200, `initialize: ${init.status}`);
    const sessionId = init.headers.get('mcp-session-id');
    assert.ok(sessionId, 'initialize gave no Mcp-Session-Id');
    const [answer] = await messagesOf(init);
    assert.ok(answer.result?.protocolVersion, `initialize answered ${JSON.stringify(answer)}`);
    const del = (id) => fetch(`${server.url}/mcp`, {
      method: 'DELETE',
      headers: { 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const first = await del(sessionId);
    assert.ok([200, 204].includes(first.status), `DELETE of a live session answered ${first.status} (the Python SDK logs "Session termination failed" for anything but 200/204)`);
    assert.equal((await del(sessionId)).status, 404, 'DELETE of an ended session');
    assert.equal((await del('no-such-session-0000')).status, 404, 'DELETE of an unknown session');
  });

  it('the TypeScript client ends its session without an error', { timeout: TEST_TIMEOUT_MS }, async () => {
    const s = await connect('streamable', { server });
    await s.transport.terminateSession();
    assert.equal(s.transport.sessionId, undefined, 'the client kept the session id: termination failed');
    await s.close();
  });

  it('bad JSON gets a JSON-RPC parse error body', { timeout: TEST_TIMEOUT_MS }, async () => {
    for (const body of ['{"jsonrpc": "2.0", "id": 1, "method": ', 'not json', '\u0000']) {
      const r = await post(server, body);
      assert.ok(r.status >= 400 && r.status < 500, `bad JSON answered ${r.status}`);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/, `bad JSON: content-type ${r.headers.get('content-type')}`);
      const [msg] = await messagesOf(r);
      assert.equal(msg.jsonrpc, '2.0', `not a JSON-RPC body: ${JSON.stringify(msg)}`);
      assert.equal(msg.error?.code, -32700, `bad JSON ${JSON.stringify(body)}: ${JSON.stringify(msg)}`);
      assert.ok('id' in msg && msg.id === null, 'a parse error has id null');
    }
  });

  it('a batch array gets a JSON-RPC error body', { timeout: TEST_TIMEOUT_MS }, async () => {
    const batch = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ]);
    const r = await post(server, batch);
    assert.match(r.headers.get('content-type') ?? '', /application\/json|text\/event-stream/, `batch: content-type ${r.headers.get('content-type')}`);
    const msgs = (await messagesOf(r)).flat();
    assert.ok(msgs.length >= 1, 'empty body');
    for (const m of msgs) {
      assert.equal(m.jsonrpc, '2.0', `not a JSON-RPC body: ${JSON.stringify(m)}`);
      assert.ok(Number.isInteger(m.error?.code), `a batch is not supported, so each answer is an error: ${JSON.stringify(m)}`);
    }
  });
});

describe('default HTTP limits', { timeout: 4 * TEST_TIMEOUT_MS }, () => {
  it('let a burst of 64 calls and 300 calls back to back through (no 429)', { timeout: 3 * TEST_TIMEOUT_MS }, async () => {
    const server = await HttpServer.start();
    try {
      const s = await connect('streamable', { server });
      try {
        const burst = await Promise.allSettled(Array.from({ length: 64 }, () => ok(s, 'list_time_off_types', {})));
        const failed = burst.filter((r) => r.status === 'rejected');
        assert.equal(failed.length, 0, `${failed.length} of 64 concurrent calls failed, e.g. ${failed[0]?.reason?.message}`);
        for (let i = 0; i < 300; i++) {
          await ok(s, 'list_time_off_types', {});
        }
      } finally {
        await s.close();
      }
    } finally {
      await server.stop();
    }
  });
});
