import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { RATE_LIMIT_BUDGETS, type RateLimitBudget } from '../rate-limit.decorator';

export class RateLimitStatusQueryDto {
  @ApiPropertyOptional({ enum: RATE_LIMIT_BUDGETS, description: 'Only this budget' })
  @IsOptional()
  @IsIn(RATE_LIMIT_BUDGETS)
  budget?: RateLimitBudget;
}

export class BudgetStatusDto {
  @ApiProperty({ enum: RATE_LIMIT_BUDGETS, example: 'bids' })
  budget: RateLimitBudget;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647, example: 20, description: 'Calls allowed per window' })
  limit: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647, example: 60 })
  windowSeconds: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647, example: 17, description: 'Calls left in the current window' })
  remaining: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647, example: 12, description: 'Seconds until the oldest counted call leaves the window (0: nothing counted)' })
  resetSeconds: number;

  @ApiProperty({ enum: ['user', 'ip+email'], description: 'What the budget is counted against: your user id, or (sign-in) this IP and your email' })
  countedBy: 'user' | 'ip+email';
}

export class RateLimitStatusDto {
  @ApiProperty({ description: 'False when ENABLE_RATE_LIMITING is off' })
  enabled: boolean;

  @ApiProperty({ type: [BudgetStatusDto], maxItems: RATE_LIMIT_BUDGETS.length })
  budgets: BudgetStatusDto[];
}
