/**
 * The ValidationPipe of every DTO parameter: unknown fields are refused (not silently dropped), DTOs are
 * instantiated with their declared types, and every problem becomes one VALIDATION_FAILED
 * problem+json with a `field` path per message. Submitted values never appear in the error.
 */
import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { DomainError, type FieldProblem } from './domain-error';
import { inputShapeProblem } from './input-shape';

export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

/**
 * Bound to each DTO parameter (`@Body(VALIDATE)`, `@Query(VALIDATE)`, `@Param(VALIDATE)`), not
 * globally: a global pipe also runs on every other parameter Nest treats as pipeable — custom
 * decorators like `@CurrentUser()` on nearly every route — each time through Nest's asynchronous
 * pipe chain, for nothing. validated-params.nest-spec.ts checks that every DTO parameter
 * of every route carries it.
 */
class RequestValidationPipe extends ValidationPipe {
  // Not async: the check adds no promise hop to the pipe's own (Nest awaits what this returns).
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const problem = inputShapeProblem(value, metadata.type === 'custom' ? 'value' : metadata.type);
    if (problem) return Promise.reject(new DomainError('VALIDATION_FAILED', 400, 'The request is not valid', [problem]));
    return super.transform(value, metadata);
  }
}

export const VALIDATE = new RequestValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  // Explicit although class-validator's default: a body that is not an object of the DTO fails.
  forbidUnknownValues: true,
  transform: true,
  stopAtFirstError: false,
  // Never keep the submitted values (passwords, tokens) on validation errors.
  validationError: { target: false, value: false },
  exceptionFactory: (errors) =>
    new DomainError('VALIDATION_FAILED', 400, 'The request is not valid', flattenValidationErrors(errors)),
});

