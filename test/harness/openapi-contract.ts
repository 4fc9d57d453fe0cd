/**
 * "The OpenAPI document tells the truth": every HTTP answer an integration test receives through
 * the harness is checked against /api/docs-json — the status is documented for the operation,
 * the Content-Type is one the document lists for that status, the body matches its schema and
 * documented headers match theirs (required ones present). A mismatch throws, failing the test
 * that saw it.
 *
 * openapi-backend (maintained, OpenAPI 3.0/3.1) matches the request to its operation, finds the
 * documented response for the status, and validates JSON bodies and headers with Ajv. It only
 * reads `application/json` bodies, so problem+json bodies are validated with the same library's
 * response Ajv against the schema the document gives for that media type.
 *
 * The document is generated once per run by the jest globalSetup (`node dist/openapi.js`, the
 * builder /api/docs-json uses) and read from BW_TEST_OPENAPI_FILE.
 */
import { readFileSync } from 'node:fs';
import OpenAPIBackend, { type Operation } from 'openapi-backend';
import { ValidationContext } from 'openapi-backend/validation';
import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Headers = Record<string, string>;
type MediaSchemas = Record<string, { schema?: object }>;
type ResponseDoc = { content?: MediaSchemas; headers?: Record<string, { required?: boolean }> };

let backend: Promise<OpenAPIBackend> | undefined;
const bodyValidators = new Map<string, ValidateFunction>();
let responseAjv: Ajv | undefined;

function loadBackend(): Promise<OpenAPIBackend> {
  const file = process.env.BW_TEST_OPENAPI_FILE;
  if (!file) throw new Error('BW_TEST_OPENAPI_FILE is not set: run integration tests through `npm test` (jest globalSetup)');
  const definition = JSON.parse(readFileSync(file, 'utf8'));
  const api = new OpenAPIBackend({
    definition,
    strict: true,
    validate: true,
    // Validators are compiled per operation on first use: compiling all of them up front cost
    // every test file ~2-3 s inside its first timed request.
    quick: true,
    customizeAjv: (ajv) => addFormats(ajv),
  });
  return api.init();
}

export function openApiBackend(): Promise<OpenAPIBackend> {
  backend ??= loadBackend();
  return backend;
}

function mediaTypeOf(contentType: string | null): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Throws when the answer is not what the document says `method path` answers.
 * Routes the document does not describe (unknown paths, /metrics, the documents themselves) are
 * not checked: there is no contract to hold them to.
 */
export async function assertDocumentedAnswer(
  method: string,
  path: string,
  answer: { status: number; headers: Headers; body: unknown; text: string },
): Promise<void> {
  const api = await openApiBackend();
  const pathOnly = path.split('?')[0];
  const operation = api.router.matchOperation({ method: method.toLowerCase(), path: pathOnly, headers: {} }) as Operation | undefined;
  if (!operation) return;
  const where = `${method.toUpperCase()} ${path} answered ${answer.status}`;
  const responses = operation.responses as Record<string, ResponseDoc>;
  const response = responses[answer.status] ?? responses[`${Math.floor(answer.status / 100)}XX`] ?? responses.default;
  if (!response) {
    throw new Error(`${where}, which the OpenAPI document does not list for ${operation.operationId} (it lists ${Object.keys(responses).join(', ')}); body: ${answer.text.slice(0, 300)}`);
  }

  const problems: string[] = [];
  const headerCheck = api.validator.validateResponseHeaders(answer.headers, operation, { statusCode: answer.status });
  if (headerCheck.errors) problems.push(`headers: ${JSON.stringify(headerCheck.errors)}`);
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    if (header.required && answer.headers[name.toLowerCase()] === undefined) problems.push(`header ${name} is required but missing`);
  }

  const media = mediaTypeOf(answer.headers['content-type'] ?? null);
  const documented = Object.keys(response.content ?? {});
  if (answer.text.length === 0) {
    if (documented.length > 0 && answer.status !== 204 && method.toUpperCase() !== 'HEAD') problems.push(`empty body, but the document gives ${documented.join(' or ')}`);
  } else if (!documented.includes(media)) {
    problems.push(`Content-Type ${media || '(none)'} is not documented (documented: ${documented.join(', ') || 'no body'})`);
  } else {
    const bodyCheck = bodyProblems(api, operation, answer.status, media, response.content![media].schema, answer.body);
    if (bodyCheck) problems.push(`body: ${bodyCheck}`);
  }
  if (problems.length > 0) {
    throw new Error(`${where} (${operation.operationId}), which does not match the OpenAPI document:\n- ${problems.join('\n- ')}\nbody: ${answer.text.slice(0, 500)}`);
  }
}

/** Problems of `body` against the documented schema of `media` for this status, or none. */
function bodyProblems(api: OpenAPIBackend, operation: Operation, status: number, media: string, schema: object | undefined, body: unknown): string | undefined {
  if (!schema) return undefined;
  if (media === 'application/json') {
    // The library's own per-status validator.
    const result = api.validator.validateResponse(body, operation, status);
    return result.valid ? undefined : JSON.stringify(result.errors);
  }
  const key = `${operation.operationId} ${status} ${media}`;
  let validate = bodyValidators.get(key);
  if (!validate) {
    responseAjv ??= api.validator.getAjv(ValidationContext.Response);
    validate = responseAjv.compile(schema);
    bodyValidators.set(key, validate);
  }
  return validate(body) ? undefined : JSON.stringify(validate.errors);
}
