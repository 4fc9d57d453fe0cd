/**
 * The string shapes the OpenAPI document promises, in one place. Response fields spread these
 * into @ApiProperty; request fields use the decorators below, which pair the schema with the
 * validator that enforces it, so the document never claims a limit the server does not check.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiParam, ApiProperty, ApiPropertyOptional, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';

export const UUID = { type: String, format: 'uuid', maxLength: 36 } as const;
export const TIMESTAMP = { type: String, format: 'date-time', maxLength: 32 } as const;
/** Money the server writes: two decimals always ("12.50"; balances can be large; "-0.05" never leaves the ledger). */
export const MONEY = { type: String, pattern: '^(0|[1-9][0-9]{0,17})\\.[0-9]{2}$', maxLength: 21, example: '12.50' } as const;
/** Money a client sends: at most two decimals, no sign, no exponent (IsMoneyAmount checks more). */
export const AMOUNT = {
  type: String,
  pattern: '^(0|[1-9][0-9]{0,29})(\\.[0-9]{1,2})?$',
  maxLength: 33,
  example: '12.50',
  description: 'Decimal string, at most two decimals, > 0, ≤ 1000000000.00. Never a JSON number.',
} as const;
export const EMAIL = { type: String, format: 'email', maxLength: 254, example: 'ada@example.com' } as const;
/** Opaque page cursor: base64url. */
export const CURSOR = { type: String, pattern: '^[A-Za-z0-9_-]+$', maxLength: 512 } as const;
/** Opaque secrets we issue (refresh, verification and reset tokens): base64url of 32 bytes. */
export const OPAQUE_TOKEN = { type: String, pattern: '^[A-Za-z0-9_-]{43}$', maxLength: 43 } as const;
/** A token as a client may send it back: we refuse what we could never have issued before looking it up. */
export const TOKEN_INPUT = { type: String, pattern: '^[A-Za-z0-9_-]+$', maxLength: 512 } as const;
export const JWT = { type: String, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$', maxLength: 4096 } as const;
export const ACCOUNT_NUMBER = { type: String, pattern: '^BW[0-9]{12}$', maxLength: 14, example: 'BW004211983312' } as const;
export const CURRENCY = { type: String, pattern: '^[A-Z]{3}$', maxLength: 3, example: 'GBP' } as const;
export const UPPER_SNAKE = { type: String, pattern: '^[A-Z][A-Z0-9_]{0,63}$', maxLength: 64 } as const;
export const IP = { type: String, pattern: '^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$', maxLength: 64, example: '203.0.113.7' } as const;
export const REQUEST_ID = { type: String, pattern: '^[A-Za-z0-9._:-]{8,128}$', maxLength: 128 } as const;

/** Free text: any characters but control characters (no line breaks, NULs or escapes). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const NO_CONTROL_CHARS = /^[^\u0000-\u001F\u007F-\u009F]*$/;
/** The same class written out (Unicode Cc), so that regex engines without the `u` flag agree. */
const NO_CONTROL_CHAR_CLASS = '[^\\u0000-\\u001F\\u007F-\\u009F]';
export const text = (maxLength: number) => ({ type: String, pattern: `^${NO_CONTROL_CHAR_CLASS}*$`, maxLength }) as const;
/** Not only white space: at least one other character. */
const NOT_BLANK = /\S/;
/** `text`'s pattern, plus at least one character that is not white space (a lookahead). */
const NOT_BLANK_TEXT_PATTERN = `^(?=[\\s\\S]*\\S)${NO_CONTROL_CHAR_CLASS}*$`;

/**
 * A request field of free text, 1..maxLength characters without control characters. A required
 * one (minLength ≥ 1: a name, a sport, a lot) must not be blank either: "   " names nothing.
 */
export function TextField(maxLength: number, options: ApiPropertyOptions & { optional?: boolean; minLength?: number } = {}) {
  const { optional, minLength = 1, ...doc } = options;
  const notBlank = minLength >= 1;
  const schema = { ...text(maxLength), ...(notBlank ? { pattern: NOT_BLANK_TEXT_PATTERN } : {}), minLength, ...doc } as ApiPropertyOptions;
  return applyDecorators(
    optional ? ApiPropertyOptional(schema) : ApiProperty(schema),
    ...(optional ? [IsOptional()] : []),
    IsString(),
    MinLength(minLength),
    MaxLength(maxLength),
    Matches(NO_CONTROL_CHARS, { message: '$property must not contain control characters' }),
    ...(notBlank ? [Matches(NOT_BLANK, { message: '$property must not be blank' })] : []),
  );
}

/** A request field that must match `shape.pattern` (and its maxLength). */
export function PatternField(
  shape: { pattern: string; maxLength: number },
  message: string,
  options: ApiPropertyOptions & { optional?: boolean } = {},
) {
  const { optional, ...doc } = options;
  const schema = { ...shape, ...doc } as ApiPropertyOptions;
  return applyDecorators(
    optional ? ApiPropertyOptional(schema) : ApiProperty(schema),
    ...(optional ? [IsOptional()] : []),
    IsString(),
    MaxLength(shape.maxLength),
    Matches(new RegExp(shape.pattern), { message }),
  );
}

/** Documents a `:name` path parameter that a UUID pipe checks (400 when it is not a UUID). */
export const ApiUuidParam = (name = 'id', description?: string) =>
  ApiParam({ name, description, schema: { type: 'string', format: 'uuid', maxLength: 36 } });
