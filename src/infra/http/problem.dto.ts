/** OpenAPI schema of the problem+json error body (DESIGN.md §3); documentation only. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES } from './domain-error';
import { REQUEST_ID, text } from './openapi/fields';

export class FieldProblemDto {
  @ApiProperty({ ...text(200), example: 'password' })
  field: string;

  @ApiProperty({ ...text(1000), example: 'must contain a digit' })
  message: string;
}

export class ProblemDto {
  @ApiProperty({ type: String, format: 'uri', maxLength: 200, example: 'https://bulwark.dev/problems/invalid-credentials' })
  type: string;

  @ApiProperty({ ...text(200), example: 'Unauthorized' })
  title: string;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 400, maximum: 599, example: 401 })
  status: number;

  @ApiProperty({ ...text(1000), example: 'Email or password is wrong' })
  detail: string;

  @ApiProperty({ ...text(8192), example: '/api/v1/auth/signin', description: 'The request path' })
  instance: string;

  @ApiProperty({ enum: ERROR_CODES, example: 'INVALID_CREDENTIALS' })
  code: string;

  @ApiProperty({ ...REQUEST_ID, example: '5f0c6b1e-3c1b-4a53-9d0e-3a2b1c0d9e8f' })
  requestId: string;

  @ApiPropertyOptional({ type: [FieldProblemDto], maxItems: 1000, description: 'Field problems of a 400 VALIDATION_FAILED' })
  errors?: FieldProblemDto[];
}
