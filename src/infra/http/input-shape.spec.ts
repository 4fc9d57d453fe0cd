import { inputShapeProblem, MAX_INPUT_DEPTH } from './input-shape';

/** `depth` arrays nested in one another, built without recursion. */
function nested(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

describe('input shape (checked before validation)', () => {
  it('passes ordinary values, up to the nesting limit', () => {
    expect(
      inputShapeProblem({ email: 'a@b.test', tags: ['x', 'y'], n: 1, ok: true, none: null }, 'body'),
    ).toBeUndefined();
    expect(inputShapeProblem('plain', 'param')).toBeUndefined();
    expect(inputShapeProblem({ x: nested(MAX_INPUT_DEPTH - 1) }, 'body')).toBeUndefined();
    expect(inputShapeProblem({ name: 'Zoë 🏆 名前' }, 'body')).toBeUndefined(); // surrogate pairs are fine
  });

  it('refuses nesting past the limit, however deep, without overflowing the stack', () => {
    expect(inputShapeProblem({ x: nested(MAX_INPUT_DEPTH) }, 'body')).toEqual({
      field: expect.stringMatching(/^x(\.0)+$/),
      message: expect.stringContaining(`nested more than ${MAX_INPUT_DEPTH} levels deep`),
    });
    expect(inputShapeProblem({ x: nested(200_000) }, 'body')?.message).toContain('nested more than');
    expect(inputShapeProblem(nested(100), 'body')?.field).toMatch(/^0(\.0)*$/);
  });

  it('refuses lone surrogates in values and names, without echoing a malformed name', () => {
    expect(inputShapeProblem({ displayName: 'ab\ud800' }, 'body')).toEqual({
      field: 'displayName',
      message: 'displayName must be well-formed Unicode text',
    });
    expect(inputShapeProblem({ a: { list: ['ok', '\udc00x'] } }, 'body')?.field).toBe('a.list.1');
    expect(inputShapeProblem({ a: { ['k\ud800']: 1 } }, 'body')).toEqual({
      field: 'a',
      message: 'field names in a must be well-formed Unicode text',
    });
    expect(inputShapeProblem('\ud800', 'param')).toEqual({
      field: 'param',
      message: 'param must be well-formed Unicode text',
    });
  });

  it('refuses fields named like inherited properties, which class-validator takes for declared ones', () => {
    for (const name of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__', '__defineGetter__']) {
      expect(inputShapeProblem(JSON.parse(`{"amount":"7.00","${name}":"x"}`), 'body')).toEqual({
        field: name,
        message: `property ${name} should not exist`,
      });
    }
    expect(inputShapeProblem({ a: { constructor: 1 } }, 'body')?.field).toBe('a.constructor');
    // Only names: values, and array indices, are not property names.
    expect(inputShapeProblem({ lot: 'constructor', tags: ['toString'] }, 'body')).toBeUndefined();
  });
});
