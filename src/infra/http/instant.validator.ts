import { ValidateBy, buildMessage, isISO8601, type ValidationOptions } from 'class-validator';

/**
 * A point in time a query filters on: a date ("2026-12-03", midnight UTC) or an RFC 3339
 * date-time ("2026-12-03T17:00:00Z", "…T17:00:00.5+01:00"; without an offset it is UTC), a real
 * calendar date, in years 1 to 9999. class-validator's ISO 8601 check alone accepted forms that
 * Date reads wrongly or not at all ("2024-W01", "20240101", a decimal comma, "2024-001"), which
 * became Invalid Date and then a 500 from PostgreSQL.
 */
const INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** The instant `value` names, or undefined when it is not one (see above). */
export function parseInstant(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const m = INSTANT.exec(value);
  if (!m || !isISO8601(value, { strict: true })) return undefined;
  const hasTime = value.length > 10;
  const at = new Date(hasTime && m[1] === undefined ? `${value}Z` : value);
  const year = at.getUTCFullYear();
  return Number.isNaN(at.getTime()) || year < 1 || year > 9999 ? undefined : at;
}

export function isInstant(value: unknown): value is string {
  return parseInstant(value) !== undefined;
}

export function IsInstant(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInstant',
      validator: {
        validate: isInstant,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be an ISO 8601 date-time, e.g. "2026-12-03T17:00:00Z"`,
          options,
        ),
      },
    },
    options,
  );
}
