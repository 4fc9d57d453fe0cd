import { MAX_NAMED, statementName } from './deadline-client';

describe('statementName', () => {
  it('gives one name per SQL text, the same every time, and stops naming past MAX_NAMED texts', () => {
    const first = statementName('SELECT $1::int');
    expect(first).toMatch(/^bw_\d+$/);
    expect(statementName('SELECT $1::int')).toBe(first);
    expect(statementName('SELECT $1::text')).not.toBe(first);
    const names = new Set<string | undefined>();
    for (let i = 0; i < MAX_NAMED + 10; i++) names.add(statementName(`SELECT ${i} + $1`));
    // Two texts were named above; the rest of MAX_NAMED went to the loop, then no more names.
    expect(names.has(undefined)).toBe(true);
    expect(names.size).toBe(MAX_NAMED - 2 + 1);
    expect(statementName('SELECT $1::int')).toBe(first);
    expect(statementName('SELECT a brand new text')).toBeUndefined();
  });
});
