/** OpenAPI schema of the problem+json error body (DESIGN.md §3); documentation only. */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES } from './domain-error';

export class FieldProblemDto {
  @ApiProperty({ example: 'password' })
  field: string;

  @ApiProperty({ example: 'must contain a digit' })
  message: string;
}

export class ProblemDto {
  @ApiProperty({ example: 'https://bulwark.dev/problems/invalid-credentials' })
  type: string;

  @ApiProperty({ example: 'Unauthorized' })
  title: string;

  @ApiProperty({ example: 401 })
  status: number;

  @ApiProperty({ example: 'Email or password is wrong' })
  detail: string;

  @ApiProperty({ example: '/api/v1/auth/signin' })
  instance: string;

  @ApiProperty({ enum: ERROR_CODES, example: 'INVALID_CREDENTIALS' })
  code: string;

  @ApiProperty({ example: '5f0c6b1e-3c1b-4a53-9d0e-3a2b1c0d9e8f' })
  requestId: string;

  @ApiPropertyOptional({ type: [FieldProblemDto] })
  errors?: FieldProblemDto[];
}
