import { ValidateBy, buildMessage, type ValidationOptions } from 'class-validator';
import { isAmount, parseAmount } from '../amount';

/** A money field: a decimal string with at most two decimals, above zero ("12.50"); numbers are refused. */
export function IsPositiveAmount(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPositiveAmount',
      validator: {
        validate: (value: unknown) => isAmount(value) && parseAmount(value) > 0n,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be a positive decimal string with at most two decimals, e.g. "12.50"`,
          options,
        ),
      },
    },
    options,
  );
}
