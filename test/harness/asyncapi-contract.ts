/**
 * "The AsyncAPI document tells the truth": every Socket.IO event a test socket receives, every
 * acknowledgement and every refused handshake is checked against the payload schema the
 * document gives for it (Ajv, with formats). The document is generated once per run by the jest
 * globalSetup (`node dist/openapi.js --asyncapi`, the builder /api/docs/asyncapi.json uses).
 */
import { readFileSync } from 'node:fs';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

interface AsyncApiMessage {
  name: string;
  payload: object;
}

let validators: Map<string, ValidateFunction> | undefined;

export function asyncApiDocument(): { channels: Record<string, { messages: Record<string, AsyncApiMessage> }> } & Record<string, unknown> {
  const file = process.env.BW_TEST_ASYNCAPI_FILE;
  if (!file) throw new Error('BW_TEST_ASYNCAPI_FILE is not set: run integration tests through `npm test` (jest globalSetup)');
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Message name (the Socket.IO event, or "<event> ack") → validator of its payload. */
function messageValidators(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  validators = new Map();
  for (const channel of Object.values(asyncApiDocument().channels)) {
    for (const message of Object.values(channel.messages)) validators.set(message.name, ajv.compile(message.payload));
  }
  return validators;
}

/** Why `payload` is not what the AsyncAPI document says `message` carries, or undefined when it is. */
export function asyncApiViolation(message: string, payload: unknown): string | undefined {
  const validate = messageValidators().get(message);
  if (!validate) return `"${message}" is not a message of the AsyncAPI document`;
  if (validate(payload)) return undefined;
  return `"${message}" does not match the AsyncAPI document: ${JSON.stringify(validate.errors)}; payload: ${JSON.stringify(payload).slice(0, 500)}`;
}

export function assertAsyncApiMessage(message: string, payload: unknown): void {
  const violation = asyncApiViolation(message, payload);
  if (violation) throw new Error(violation);
}
