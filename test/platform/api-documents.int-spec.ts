/**
 * The API documents clients rely on. Invariants:
 *  - /api/docs-json is the document `node dist/openapi.js` prints (what CI lints), and it lints
 *    clean: Redocly's recommended rules and Spectral with the OWASP ruleset, 0 errors, 0 warnings
 *    (rules switched off only in the checked-in redocly.yaml / .spectral.yaml, with reasons);
 *  - /api/docs/asyncapi.json (not shadowed by the Swagger UI under /api/docs) is a valid AsyncAPI
 *    document for the official parser, and the socket messages it describes are checked;
 *  - the contract checkers used by every integration test really refuse a mismatch;
 *  - every limit the document writes is enforced: over it is 400 VALIDATION_FAILED.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Parser } from '@asyncapi/parser';
import { api, createDatabase, createUser, startApp, type AppProcess, type TestUser } from '../harness';
import { assertDocumentedAnswer } from '../harness/openapi-contract';
import { asyncApiViolation } from '../harness/asyncapi-contract';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '..', '..');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

describe('API documents', () => {
  let app: AppProcess;
  let user: TestUser;
  let dbUrl: string;
  let openapiFile: string;

  beforeAll(async () => {
    dbUrl = await createDatabase();
    app = await startApp({ databaseUrl: dbUrl });
    user = await createUser(dbUrl);
    // Inside the repository: .spectral.yaml's per-path overrides are globs relative to it.
    openapiFile = join(mkdtempSync(join(ROOT, 'dist', 'openapi-lint-')), 'openapi.json');
  });
  afterAll(async () => {
    await app?.stop();
  });

  describe('OpenAPI', () => {
    it('serves at /api/docs-json exactly what `node dist/openapi.js` prints', async () => {
      const served = await api(app.baseUrl, 'GET', '/api/docs-json');
      expect(served.status).toBe(200);
      const printed = JSON.parse(readFileSync(process.env.BW_TEST_OPENAPI_FILE!, 'utf8'));
      expect(served.body).toEqual(printed);
      writeFileSync(openapiFile, JSON.stringify(served.body, null, 2));
    });

    it('lints clean with Redocly (recommended rules): no error, no warning', async () => {
      const { stdout } = await run(bin('redocly'), ['lint', openapiFile, '--config', join(ROOT, 'redocly.yaml'), '--format=json'], {
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      }).catch((err: { stdout: string }) => err);
      const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: unknown[] };
      expect(report.problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    });

    it('lints clean with Spectral (spectral:oas + OWASP API Security): no error, no warning', async () => {
      const { stdout } = await run(bin('spectral'), ['lint', openapiFile, '--ruleset', join(ROOT, '.spectral.yaml'), '--format=json', '--quiet'], {
        cwd: ROOT,
      }).catch((err: { stdout: string }) => err);
      const results = JSON.parse(stdout.trim() || '[]') as Array<{ code: string; severity: number }>;
      // Severity 0 = error, 1 = warning; 2-3 (info, hint) are not findings.
      expect(results.filter((r) => r.severity <= 1)).toEqual([]);
    });

    it('refuses, in the checker every integration test uses, an undocumented status, a wrong body and a missing X-Request-Id or Cache-Control', async () => {
      const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
        status,
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-12345678', 'cache-control': 'no-store', ...headers },
        body,
        text: JSON.stringify(body),
      });
      await expect(assertDocumentedAnswer('GET', '/health/live', answer(200, { status: 'ok' }))).resolves.toBeUndefined();
      await expect(assertDocumentedAnswer('GET', '/health/live', answer(418, { status: 'ok' }))).rejects.toThrow(/does not list/);
      await expect(assertDocumentedAnswer('GET', '/health/live', answer(200, { status: 'fine' }))).rejects.toThrow(/body/);
      await expect(assertDocumentedAnswer('GET', '/health/live', answer(200, { status: 'ok' }, { 'content-type': 'text/plain' }))).rejects.toThrow(/Content-Type/);
      const noId = { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: { status: 'ok' }, text: '{"status":"ok"}' };
      await expect(assertDocumentedAnswer('GET', '/health/live', noId)).rejects.toThrow(/X-Request-Id/);
      const { 'cache-control': _, ...uncached } = answer(200, { status: 'ok' }).headers;
      await expect(assertDocumentedAnswer('GET', '/health/live', { ...answer(200, { status: 'ok' }), headers: uncached })).rejects.toThrow(/Cache-Control/);
      await expect(assertDocumentedAnswer('GET', '/health/live', answer(200, { status: 'ok' }, { 'cache-control': 'max-age=60' }))).rejects.toThrow(/headers/);
      // problem+json bodies are validated too.
      const problem = answer(404, { code: 'NOT_FOUND' }, { 'content-type': 'application/problem+json' });
      await expect(assertDocumentedAnswer('GET', '/api/v1/users/00000000-0000-4000-8000-000000000000', problem)).rejects.toThrow(/body/);
    });
  });

  describe('AsyncAPI', () => {
    it('is served at /api/docs/asyncapi.json, as `node dist/openapi.js --asyncapi` prints it', async () => {
      const served = await api(app.baseUrl, 'GET', '/api/docs/asyncapi.json');
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toMatch(/^application\/json/);
      expect(served.body).toEqual(JSON.parse(readFileSync(process.env.BW_TEST_ASYNCAPI_FILE!, 'utf8')));
      expect(served.body.asyncapi).toMatch(/^3\./);
    });

    it('is valid for the official AsyncAPI parser: no error and no warning', async () => {
      const served = await api(app.baseUrl, 'GET', '/api/docs/asyncapi.json');
      const { document, diagnostics } = await new Parser().parse(JSON.stringify(served.body));
      // DiagnosticSeverity: 0 error, 1 warning, 2 information, 3 hint.
      expect(diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('.')}`)).toEqual([]);
      expect(document).toBeDefined();
      const events = document!.messages().all().map((m) => m.name());
      expect(events).toEqual(
        expect.arrayContaining(['auction:join', 'auction:leave', 'bid:place', 'bid_update', 'timer_tick', 'auction_closed', 'server_shutdown', 'session_expired', 'connect_error']),
      );
    });

    it('refuses, in the checker the socket tests use, an undocumented event and a wrong payload', () => {
      const tick = { auctionId: '00000000-0000-4000-8000-000000000000', remainingMs: 1000, endsAt: '2026-01-01T00:00:00.000Z' };
      expect(asyncApiViolation('timer_tick', tick)).toBeUndefined();
      expect(asyncApiViolation('timer_tick', { ...tick, remainingMs: '1000' })).toMatch(/does not match/);
      expect(asyncApiViolation('bid_updated', tick)).toMatch(/not a message/);
      expect(asyncApiViolation('bid:place ack', { ok: false, code: 'BID_TOO_LOW', message: 'too low' })).toBeUndefined();
      expect(asyncApiViolation('bid:place ack', { ok: false, code: 'NO_SUCH_CODE', message: 'x' })).toMatch(/does not match/);
    });
  });

  describe('limits the document writes are enforced', () => {
    const refused = async (method: string, path: string, body: unknown, field: string) => {
      const res = await api(app.baseUrl, method, path, { token: user.token, body });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    };

    it('displayName: at most 100 characters, no control characters', async () => {
      await refused('PATCH', '/api/v1/users/me', { displayName: 'a'.repeat(101) }, 'displayName');
      await refused('PATCH', '/api/v1/users/me', { displayName: 'Ada\u0007' }, 'displayName');
      const ok = await api(app.baseUrl, 'PATCH', '/api/v1/users/me', { token: user.token, body: { displayName: 'a'.repeat(100) } });
      expect(ok.status).toBe(200);
    });

    it('sign-up: email at most 254 characters, displayName at most 100', async () => {
      const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}.test`; // 259 characters
      await refused('POST', '/api/v1/auth/signup', { email, password: 'C0rrect-horse!' }, 'email');
      await refused('POST', '/api/v1/auth/signup', { email: 'ada@example.com', password: 'C0rrect-horse!', displayName: 'x'.repeat(101) }, 'displayName');
    });

    it('movements: description at most 140 characters, account numbers of letters, digits, - and _', async () => {
      const deposit = { accountNumber: 'BW000000000001', amount: '1.00', description: 'd'.repeat(141) };
      await refused('POST', '/api/v1/deposits', deposit, 'description');
      await refused('POST', '/api/v1/deposits', { ...deposit, description: 'ok', accountNumber: 'BW 0001' }, 'accountNumber');
      const path = await api(app.baseUrl, 'GET', '/api/v1/accounts/BW%2B0001', { token: user.token });
      expect({ status: path.status, code: path.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    });

    it('leagues and auctions: names, sports and lots without control characters, and not blank', async () => {
      await refused('POST', '/api/v1/leagues', { name: 'Sunday\nleague', sport: 'football', budget: '10.00', maxParticipants: 5 }, 'name');
      await refused('POST', '/api/v1/leagues', { name: 'Sunday', sport: 'f'.repeat(51), budget: '10.00', maxParticipants: 5 }, 'sport');
      // Found by a black-box review: a league named "   " was created (DESIGN.md is silent).
      // Another user: each call spends the league-creation budget (5 per 300 s), refused or not.
      const other = await createUser(dbUrl);
      const create = (name: string, sport: string) =>
        api(app.baseUrl, 'POST', '/api/v1/leagues', { token: other.token, body: { name, sport, budget: '10.00', maxParticipants: 5 } });
      const blank = await Promise.all([create('   ', 'football'), create('Sunday', '\u00a0\u3000')]);
      expect(blank.map((r) => [r.status, r.body.errors?.map((e: { field: string }) => e.field)])).toEqual([
        [400, ['name']],
        [400, ['sport']],
      ]);
      const league = await create(' Sunday ', 'football');
      expect({ status: league.status, name: league.body.name }).toEqual({ status: 201, name: ' Sunday ' });
      // The document says the same: the request schema's pattern refuses a blank name.
      const schema = (await api(app.baseUrl, 'GET', '/api/docs-json')).body.components.schemas.CreateLeagueDto.properties.name;
      expect([new RegExp(schema.pattern).test('   '), new RegExp(schema.pattern).test('Sunday')]).toEqual([false, true]);
    });

    it('cursors: only the base64url alphabet', async () => {
      const res = await api(app.baseUrl, 'GET', '/api/v1/leagues?cursor=not%20a%20cursor', { token: user.token });
      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 'VALIDATION_FAILED' });
    });

    it('tokens: only the alphabet tokens are issued in', async () => {
      await refused('POST', '/api/v1/auth/refresh', { refreshToken: 'not a token!' }, 'refreshToken');
    });
  });
});
