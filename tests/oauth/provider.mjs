// A real OpenID Provider for the OAuth tests: oidc-provider (pinned in package.json, OpenID
// certified) on a loopback port, with test users and a scripted login (no person, no forms).
//
// Started by tests/oauth_*.rs and tests/e2e/test_oauth.py; installed by scripts/setup-oauth.sh.
//
//   node tests/oauth/provider.mjs [--keys-out FILE] [--accounts FILE]
//
// Prints one JSON line on stdout once listening: {"issuer": "http://127.0.0.1:PORT"}.
//
// - Users (--accounts: a JSON array of {sub, email, roles, email_verified}; defaults below).
//   Login is scripted: the interaction page logs in the user named by the authorization
//   request's `login_hint` (a sub), else the current default user (POST /__test/login {"sub"}),
//   and grants every requested scope — a redirect chain any HTTP client with a cookie jar follows.
// - Access tokens for a resource (RFC 8707 `resource`, any loopback URL) are JWTs (RFC 9068)
//   with aud = the resource, carrying the user's `email` and `roles` claims, signed RS256.
// - Dynamic client registration (RFC 7591) is open; PKCE S256 is required for public clients.
// - A confidential client for the built-in authorization server's upstream login:
//   client_id "personio-mcp-upstream", secret "upstream-secret", redirect URI
//   http://127.0.0.1/oauth/callback on any port (a native loopback client, RFC 8252 §7.3).
// - --keys-out FILE: writes the signing keys as PKCS#8 PEM by kid ({"rsa": {kid, pem}, ...}),
//   so tests can mint tokens the provider would never issue (expired, wrong audience, ...).
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const args = process.argv.slice(2);
const argValue = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

const DEFAULT_ACCOUNTS = [
  { sub: 'employee', email: 'employee@example.com', roles: [], email_verified: true },
  { sub: 'hr', email: 'hr@example.com', roles: ['hr'], email_verified: true },
  { sub: 'unverified', email: 'unverified@example.com', roles: [], email_verified: false },
];
const accountsFile = argValue('--accounts');
const accounts = new Map(
  (accountsFile ? JSON.parse(readFileSync(accountsFile, 'utf8')) : DEFAULT_ACCOUNTS).map((a) => [a.sub, a]),
);
let defaultLogin = accounts.keys().next().value;

// Signing keys: one of each kind the resource server accepts.
function keyPair(kind, options, kid, alg) {
  const { privateKey } = generateKeyPairSync(kind, options);
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
  return { jwk, pem: privateKey.export({ format: 'pem', type: 'pkcs8' }), kid };
}
const keys = {
  rsa: keyPair('rsa', { modulusLength: 2048 }, 'rsa-1', 'RS256'),
  ec: keyPair('ec', { namedCurve: 'P-256' }, 'ec-1', 'ES256'),
  ed: keyPair('ed25519', {}, 'ed-1', 'EdDSA'),
};

const isLoopbackUrl = (u) => {
  try {
    const url = new URL(u);
    return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
};

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [keys.rsa.jwk, keys.ec.jwk, keys.ed.jwk] },
  clients: [
    {
      client_id: 'personio-mcp-upstream',
      client_secret: 'upstream-secret',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/oauth/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  cookies: { keys: ['test-only-cookie-key-0123456789'] },
  // Like Google and Entra ID: the ID token of a code flow carries the email claims.
  conformIdTokenClaims: false,
  // Like Entra ID app roles: the ID token carries the user's roles.
  claims: { openid: ['sub', 'roles'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'mcp'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (!isLoopbackUrl(resource)) throw new Provider.errors.InvalidTarget();
        return {
          scope: 'mcp openid email profile offline_access',
          audience: resource,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  extraTokenClaims: async (_ctx, token) => {
    const account = token.accountId && accounts.get(token.accountId);
    if (!account || token.kind !== 'AccessToken') return undefined;
    return { email: account.email, roles: account.roles };
  },
  findAccount: async (_ctx, sub) => {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      claims: async () => ({
        sub, email: account.email, email_verified: account.email_verified, name: sub, roles: account.roles,
      }),
    };
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 3600 },
});

// The scripted login and consent.
provider.use(async (ctx, next) => {
  if (ctx.method === 'POST' && ctx.path === '/__test/login') {
    const body = await new Promise((resolve) => {
      let data = '';
      ctx.req.on('data', (c) => { data += c; });
      ctx.req.on('end', () => resolve(data));
    });
    const sub = JSON.parse(body || '{}').sub;
    if (!accounts.has(sub)) {
      ctx.status = 400;
      ctx.body = { error: 'unknown sub' };
      return;
    }
    defaultLogin = sub;
    ctx.status = 204;
    return;
  }
  const m = ctx.method === 'GET' && ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!m) {
    await next();
    return;
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, session } = details;
  let result;
  if (prompt.name === 'login') {
    const hinted = params.login_hint && accounts.has(params.login_hint) ? params.login_hint : defaultLogin;
    result = { login: { accountId: hinted } };
  } else {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    result = { consent: { grantId: await grant.save() } };
  }
  await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
});

server.on('request', provider.callback());

const keysOut = argValue('--keys-out');
if (keysOut) {
  const out = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, { kid: v.kid, pem: v.pem }]));
  writeFileSync(keysOut, JSON.stringify(out), { mode: 0o600 });
}
process.stdout.write(`${JSON.stringify({ issuer })}\n`);
// Stop with the test: when stdin closes (the parent went away) or on SIGTERM.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
