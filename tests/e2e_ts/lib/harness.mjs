import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Shared plumbing for the TypeScript-SDK end-to-end suite: starting the real binary, connecting the
// official client (`@modelcontextprotocol/sdk`) over each transport, and raw access for wire checks.
//
// Every server is `$PERSONIO_MCP_BIN serve --sandbox ...` with a hermetic environment (no PERSONIO_*
// variables from the caller, RUST_LOG=warn) and DEFAULT settings unless a test says otherwise: the
// suite checks what a user who just installed the server gets. The HTTP server's first stdout line
// is its base URL (`serve --http 127.0.0.1:0`). Run by tests/e2e_typescript.rs, which sets
// PERSONIO_MCP_BIN.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

/** A hang guard for one request (not a performance assertion). */
export const REQUEST_TIMEOUT_MS = 60_000;
/** A hang guard for one test. */
export const TEST_TIMEOUT_MS = 180_000;
/** How long a server gets to print its URL, or to exit after SIGTERM (hang guards). */
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;

/** The three transports every per-transport test runs over. */
export const TRANSPORTS = ['stdio', 'streamable', 'sse'];

export function serverBin() {
  const bin = process.env.PERSONIO_MCP_BIN;
  if (!bin) {
    throw new Error(
      'PERSONIO_MCP_BIN is not set: the suite runs through `cargo test --test e2e_typescript` ' +
        '(tests/e2e_typescript.rs sets it); by hand, export it first.',
    );
  }
  return bin;
}

/** The caller's environment without PERSONIO_* and RUST_LOG, plus `extra`. */
export function serverEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('PERSONIO_') && k !== 'RUST_LOG' && v !== undefined) env[k] = v;
  }
  // Each server its own state directory: used tokens and idempotency keys persist across restarts.
  const stateDir = mkdtempSync(join(tmpdir(), 'personio-mcp-state-'));
  return { ...env, RUST_LOG: 'warn', PERSONIO_MCP_STATE_DIR: stateDir, ...extra };
}

/** Keeps the last few KB of a stream, for failure messages. */
function tail(stream) {
  let buf = '';
  stream?.setEncoding?.('utf8');
  stream?.on?.('data', (chunk) => {
    buf = (buf + chunk).slice(-6000);
  });
  return () => buf;
}

/** A running `serve --http 127.0.0.1:0 --sandbox ...` process. */
export class HttpServer {
  static async start(extraArgs = [], envExtra = {}) {
    const proc = spawn(serverBin(), ['serve', '--http', '127.0.0.1:0', '--sandbox', ...extraArgs], {
      env: serverEnv(envExtra),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stderr = tail(proc.stderr);
    const lines = createInterface({ input: proc.stdout });
    const first = new Promise((resolve, reject) => {
      lines.once('line', resolve);
      proc.once('exit', (code) => reject(new Error(`the server exited (${code}) before printing its URL:\n${stderr()}`)));
    });
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the server printed no URL within ${START_TIMEOUT_MS} ms:\n${stderr()}`)), START_TIMEOUT_MS);
    });
    try {
      const url = (await Promise.race([first, timeout])).trim();
      if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`first stdout line is not the base URL: ${url}`);
      return new HttpServer(proc, url, stderr);
    } catch (e) {
      proc.kill('SIGKILL');
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  constructor(proc, url, stderr) {
    this.proc = proc;
    this.url = url;
    this.stderr = stderr;
  }

  /** SIGTERM, then the exit code (SIGKILL after STOP_TIMEOUT_MS; then null). */
  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    const exited = once(this.proc, 'exit');
    this.proc.kill('SIGTERM');
    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
    });
    const r = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.proc.kill('SIGKILL');
      await exited;
      return null;
    }
    return this.proc.exitCode;
  }
}

/**
 * A connected official client over `transport`: 'stdio' (spawns `serve --sandbox ...args`),
 * 'streamable' (`${server.url}/mcp`) or 'sse' (`${server.url}/sse`). Lists the tools once, which
 * is what makes the SDK validate every structuredContent against the tool's outputSchema.
 * Returns { client, tools (by name), toolList (as listed), close, stderr }.
 */
export async function connect(transport, { server, args = [], env = {}, headers } = {}) {
  let t;
  let stderr = () => '';
  if (transport === 'stdio') {
    t = new StdioClientTransport({
      command: serverBin(),
      args: ['serve', '--sandbox', ...args],
      // Merged over the SDK's minimal default environment (HOME, PATH...), which has no PERSONIO_*.
      env: { RUST_LOG: 'warn', ...env },
      stderr: 'pipe',
    });
    stderr = tail(t.stderr);
  } else if (transport === 'streamable') {
    t = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { requestInit: { headers } });
    stderr = server.stderr;
  } else if (transport === 'sse') {
    t = new SSEClientTransport(new URL(`${server.url}/sse`), { requestInit: { headers } });
    stderr = server.stderr;
  } else {
    throw new Error(`unknown transport ${transport}`);
  }
  const client = new Client({ name: 'personio-mcp-e2e-ts', version: '0.0.0' });
  try {
    await client.connect(t, { timeout: REQUEST_TIMEOUT_MS });
  } catch (e) {
    throw new Error(`${transport}: could not connect (${e.message}); server stderr:\n${stderr()}`);
  }
  const listed = await client.listTools(undefined, { timeout: REQUEST_TIMEOUT_MS });
  const tools = Object.fromEntries(listed.tools.map((tool) => [tool.name, tool]));
  return {
    client,
    transport: t,
    tools,
    toolList: listed.tools,
    stderr,
    close: async () => {
      try {
        await client.close();
      } catch {
        // Closing a session the test already ended is fine.
      }
    },
  };
}

/** Starts an HTTP server (if the transport needs one) and connects; `close` stops both. */
export async function openSession(transport, { args = [], env = {} } = {}) {
  if (transport === 'stdio') return connect('stdio', { args, env });
  const server = await HttpServer.start(args, env);
  try {
    const s = await connect(transport, { server });
    return {
      ...s,
      server,
      close: async () => {
        await s.close();
        await server.stop();
      },
    };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/**
 * The binary on pipes, without the SDK: raw bytes in, one JSON-RPC message per stdout line out.
 * For what no well-behaved client sends (garbage lines, invalid UTF-8, NUL bytes).
 */
export class RawStdio {
  constructor(args = []) {
    this.proc = spawn(serverBin(), ['serve', '--sandbox', ...args], {
      env: serverEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.stderr = tail(this.proc.stderr);
    this.messages = [];
    this.waiters = [];
    this.badLines = [];
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        this.badLines.push(line);
        return;
      }
      this.messages.push(msg);
      for (const w of [...this.waiters]) w();
    });
    this.proc.on('exit', () => {
      for (const w of [...this.waiters]) w();
    });
  }

  write(bytes) {
    this.proc.stdin.write(bytes);
  }

  send(message) {
    this.write(Buffer.from(JSON.stringify(message) + '\n', 'utf8'));
  }

  /** The first message (seen so far or later) matching `pred`; rejects after `timeoutMs`. */
  waitFor(pred, what, timeoutMs = REQUEST_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.find(pred);
        if (found) {
          done();
          resolve(found);
        } else if (this.proc.exitCode !== null) {
          done();
          reject(new Error(`the server exited (${this.proc.exitCode}) before ${what}; stderr:\n${this.stderr()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${what} within ${timeoutMs} ms; stdout so far: ${JSON.stringify(this.messages).slice(0, 2000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  async request(message) {
    this.send(message);
    return this.waitFor((m) => m.id === message.id && ('result' in m || 'error' in m), `the answer to id ${message.id}`);
  }

  /** The legacy handshake (initialize + initialized). */
  async initialize() {
    const init = await this.request({
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'e2e-ts-raw', version: '0' } },
    });
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return init;
  }

  async close() {
    this.proc.stdin.end();
    if (this.proc.exitCode === null) {
      const exited = once(this.proc, 'exit');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    return this.proc.exitCode;
  }
}
