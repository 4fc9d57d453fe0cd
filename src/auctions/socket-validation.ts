/** class-validator for Socket.IO payloads, answering VALIDATION_FAILED like the HTTP pipe does. */
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { DomainError, type FieldProblem } from '../infra/http/domain-error';

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Returns the validated message or throws DomainError VALIDATION_FAILED (unknown fields refused). */
export async function parseMessage<T extends object>(cls: new () => T, data: unknown): Promise<T> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DomainError('VALIDATION_FAILED', 400, 'The message is not valid', [
      { field: '(message)', message: 'must be an object' },
    ]);
  }
  const instance = plainToInstance(cls, data);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new DomainError('VALIDATION_FAILED', 400, 'The message is not valid', flatten(errors));
  return instance;
}
