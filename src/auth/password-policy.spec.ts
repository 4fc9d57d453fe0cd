import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblems } from './password-policy';

describe('password policy', () => {
  it.each([
    ['Ab1!abcd', 'exactly 8 characters'],
    [`Ab1!${'x'.repeat(124)}`, 'exactly 128 characters'],
    ['C0rrect-Horse!', 'a typical strong password'],
    ['Ünïcödé-1ä', 'non-ASCII letters count as upper/lower'],
    ['Pass word 1!', 'spaces are allowed'],
  ])('accepts %j (%s)', (pw) => {
    expect(passwordProblems(pw)).toEqual([]);
  });

  it.each([
    ['Ab1!abc', ['must be 8 to 128 characters long']],
    [`Ab1!${'x'.repeat(125)}`, ['must be 8 to 128 characters long']],
    ['', ['must be 8 to 128 characters long']],
    ['c0rrect-horse!', ['must contain an upper-case letter']],
    ['C0RRECT-HORSE!', ['must contain a lower-case letter']],
    ['Correct-Horse!', ['must contain a digit']],
    ['C0rrectHorse1', ['must contain a special character']],
    ['Correct Horse1', ['must contain a special character']],
    ['abcdefgh', ['must contain an upper-case letter', 'must contain a digit', 'must contain a special character']],
  ])('refuses %j', (pw, problems) => {
    expect(passwordProblems(pw)).toEqual(problems);
  });

  it('counts characters, not UTF-16 units: 8 emoji-bearing characters pass the minimum', () => {
    const pw = 'Ab1😀😀😀😀😀'; // 8 code points, 13 UTF-16 units
    expect([...pw]).toHaveLength(PASSWORD_MIN_LENGTH);
    expect(passwordProblems(pw)).toEqual([]);
    const tooLong = `Ab1${'😀'.repeat(PASSWORD_MAX_LENGTH - 2)}`;
    expect(passwordProblems(tooLong)).toEqual(['must be 8 to 128 characters long']);
  });
});
