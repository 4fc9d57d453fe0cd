/**
 * Request bodies are JSON in UTF-8 (RFC 8259 §8.1; DESIGN.md §3). Fastify's own JSON parser
 * decoded every body as UTF-8 whatever charset its Content-Type declared, and turned bytes that
 * are not UTF-8 into U+FFFD, so a display name sent in Latin-1 was stored mangled and answered
 * 200 (found by a black-box review). Now another declared charset is 415, like any content type
 * we do not take, and bytes that are not UTF-8 are 400; everything else goes to Fastify's parser
 * as before (empty body, malformed JSON, prototype poisoning: its errors, its answers).
 * Pure (no Nest imports).
 */
import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { DomainError } from './domain-error';

const UTF8 = /^utf-?8$/;

/**
 * The `charset` parameter of a Content-Type header value (RFC 9110 §8.3.1: parameter names are
 * case-insensitive, values may be quoted), lower-cased; undefined when there is none.
 */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  for (const param of contentType.split(';').slice(1)) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const value = param.slice(eq + 1).trim();
    return (value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value).toLowerCase();
  }
  return undefined;
}

/** Why a JSON body cannot be read as sent, or undefined when it can (its JSON is checked later). */
export function jsonBodyRefusal(contentType: string | undefined, body: Buffer): DomainError | undefined {
  const charset = charsetOf(contentType);
  if (charset !== undefined && !UTF8.test(charset)) {
    return new DomainError('VALIDATION_FAILED', 415, 'JSON bodies are UTF-8: send charset=utf-8, or no charset');
  }
  if (!isUtf8(body)) return new DomainError('VALIDATION_FAILED', 400, 'The body is not valid UTF-8');
  return undefined;
}

/** Replaces Fastify's application/json parser with the same parser behind the UTF-8 checks. */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  const { onProtoPoisoning = 'error', onConstructorPoisoning = 'error' } = fastify.initialConfig;
  const parseJson = fastify.getDefaultJsonParser(onProtoPoisoning, onConstructorPoisoning);
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const refusal = jsonBodyRefusal(req.headers['content-type'], body as Buffer);
    if (refusal) return done(refusal, undefined);
    parseJson(req, (body as Buffer).toString('utf8'), done);
  });
}
