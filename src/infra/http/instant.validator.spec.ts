import { parseInstant } from './instant.validator';

describe('instants in query filters', () => {
  it.each([
    ['2026-12-03', '2026-12-03T00:00:00.000Z'],
    ['2026-12-03T17:00:00Z', '2026-12-03T17:00:00.000Z'],
    ['2026-12-03T17:00Z', '2026-12-03T17:00:00.000Z'],
    ['2026-12-03T17:00:00.5+01:00', '2026-12-03T16:00:00.500Z'],
    ['2026-12-03T17:00:00.123456789-02:30', '2026-12-03T19:30:00.123Z'],
    ['2026-12-03T17:00:00', '2026-12-03T17:00:00.000Z'], // no offset: UTC, whatever the server's zone
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (text, iso) => expect(parseInstant(text)?.toISOString()).toBe(iso));

  it.each([
    ['an ISO week', '2024-W01'],
    ['an ordinal date', '2024-001'],
    ['the basic format', '20240101'],
    ['a decimal comma', '2024-01-01T10:00:00,5Z'],
    ['30 February', '2024-02-30'],
    ['29 February of a common year', '2023-02-29T00:00:00Z'],
    ['hour 24', '2024-01-01T24:00:00Z'],
    ['an offset without a colon', '2024-01-01T10:00:00+0200'],
    ['year 0', '0000-01-01'],
    ['free text', 'yesterday'],
    ['a number', 1_700_000_000],
  ])('refuses %s', (_, value) => expect(parseInstant(value)).toBeUndefined());
});
