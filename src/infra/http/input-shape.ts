/// <reference lib="es2024.string" />
/**
 * What no DTO rule can catch, checked before validation (HTTP bodies, queries and path
 * parameters, and Socket.IO messages), each a 400 VALIDATION_FAILED instead of a 500:
 * - Nesting deeper than MAX_INPUT_DEPTH. class-transformer copies a value recursively, so a
 *   10 KB body of 5,000 nested arrays overflowed the stack, on any route with a body, public ones
 *   included. No DTO nests more than two levels.
 * - Text that is not well-formed Unicode: a lone UTF-16 surrogate, which JSON's `\ud800` escape
 *   carries. PostgreSQL's jsonb refuses it (a display name written into the audit entry failed
 *   the request) and a text column would silently store U+FFFD in its place.
 * - A field named like a property every object inherits (`constructor`, `toString`, `__proto__`,
 *   …): class-validator's whitelist looks field names up in a plain object, finds the inherited
 *   one and takes the field for a declared one, so it was accepted where any other unknown field
 *   is refused (DESIGN §3). No DTO declares such a name.
 * Iterative, so it cannot overflow the stack itself. Pure.
 */
import type { FieldProblem } from './domain-error';

export const MAX_INPUT_DEPTH = 32;

/** The first problem of `value`'s shape, or undefined; `root` names the value itself (e.g. "body"). */
export function inputShapeProblem(value: unknown, root: string): FieldProblem | undefined {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const field = next.path || root;
    if (typeof next.value === 'string') {
      if (!next.value.isWellFormed()) return { field, message: `${field} must be well-formed Unicode text` };
      continue;
    }
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= MAX_INPUT_DEPTH)
      return { field, message: `${field} is nested more than ${MAX_INPUT_DEPTH} levels deep` };
    const array = Array.isArray(next.value);
    for (const [key, child] of Object.entries(next.value)) {
      // A malformed name is not echoed: the field is its parent's.
      if (!key.isWellFormed()) return { field, message: `field names in ${field} must be well-formed Unicode text` };
      const path = next.path ? `${next.path}.${key}` : key;
      if (!array && key in Object.prototype) return { field: path, message: `property ${key} should not exist` };
      pending.push({ value: child, path, depth: next.depth + 1 });
    }
  }
  return undefined;
}
