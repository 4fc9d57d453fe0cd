/**
 * The body parameter of a route that takes no body: `@NoBody() _body: undefined`. DESIGN §3's
 * "unknown JSON fields: 400" holds there too, so a body that carries anything is refused the way a
 * DTO refuses an unknown field (400 VALIDATION_FAILED, one `property … should not exist` per field)
 * instead of being silently ignored. No body and an empty object are accepted. It runs where a
 * DTO's validation runs (a parameter pipe, after the guards), so an unauthenticated caller still
 * gets 401 first. validated-params.nest-spec.ts checks that every POST, PUT, PATCH and DELETE
 * route has a body parameter: a DTO with VALIDATE, or this.
 */
import { Body, type PipeTransform } from '@nestjs/common';
import { DomainError, type FieldProblem } from './domain-error';
import { inputShapeProblem } from './input-shape';

function bodyProblems(value: unknown): FieldProblem[] {
  if (value === undefined) return [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [{ field: 'body', message: 'this route takes no request body' }];
  }
  // Field names are echoed, as the DTOs' own "should not exist" messages do; first make sure
  // they are well-formed text.
  const shape = inputShapeProblem(value, 'body');
  if (shape) return [shape];
  return Object.keys(value).map((field) => ({ field, message: `property ${field} should not exist` }));
}

export const NO_BODY: PipeTransform<unknown, undefined> = {
  transform(value: unknown): undefined {
    const problems = bodyProblems(value);
    if (problems.length > 0) throw new DomainError('VALIDATION_FAILED', 400, 'The request is not valid', problems);
    return undefined;
  },
};

/** `@Body(NO_BODY)`: this route refuses a body with anything in it. */
export const NoBody = (): ParameterDecorator => Body(NO_BODY);
