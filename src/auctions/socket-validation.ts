/** class-validator for Socket.IO payloads, answering VALIDATION_FAILED like the HTTP pipe does. */
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DomainError } from '../infra/http/domain-error';
import { inputShapeProblem } from '../infra/http/input-shape';
import { flattenValidationErrors } from '../infra/http/validation-pipe';

/** Returns the validated message or throws DomainError VALIDATION_FAILED (unknown fields refused). */
export async function parseMessage<T extends object>(cls: new () => T, data: unknown): Promise<T> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new DomainError('VALIDATION_FAILED', 400, 'The message is not valid', [
      { field: '(message)', message: 'must be an object' },
    ]);
  }
  const problem = inputShapeProblem(data, '(message)');
  if (problem) throw new DomainError('VALIDATION_FAILED', 400, 'The message is not valid', [problem]);
  const instance = plainToInstance(cls, data);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length > 0) throw new DomainError('VALIDATION_FAILED', 400, 'The message is not valid', flattenValidationErrors(errors));
  return instance;
}
