/**
 * The password rule of DESIGN.md §4: 8–128 characters with an upper-case letter, a lower-case
 * letter, a digit and a special character. Pure, so it is table-tested. Length counts Unicode
 * code points, and the upper bound is checked before any hashing so a huge input costs nothing.
 */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

const RULES: Array<{ test: (pw: string) => boolean; message: string }> = [
  { test: (pw) => /\p{Lu}/u.test(pw), message: 'must contain an upper-case letter' },
  { test: (pw) => /\p{Ll}/u.test(pw), message: 'must contain a lower-case letter' },
  { test: (pw) => /\p{Nd}/u.test(pw), message: 'must contain a digit' },
  { test: (pw) => /[^\p{L}\p{N}\s]/u.test(pw), message: 'must contain a special character' },
];

/** Returns what is wrong with the password; an empty list means it is acceptable. */
export function passwordProblems(password: string): string[] {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    // Out of range: say only that, the other rules are moot.
    return [`must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`];
  }
  return RULES.filter((r) => !r.test(password)).map((r) => r.message);
}
