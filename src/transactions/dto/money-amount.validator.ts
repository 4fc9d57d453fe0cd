import { ValidateBy, type ValidationOptions } from 'class-validator';
import { AMOUNT_MESSAGES, parseAmount } from '../money';

/** A money amount: decimal string, at most two decimals, positive, at most 1,000,000,000.00. */
export function IsMoneyAmount(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isMoneyAmount',
      validator: {
        validate: (value: unknown) => parseAmount(value).ok,
        defaultMessage: (args) => {
          const parsed = parseAmount(args?.value);
          return `${args?.property ?? 'amount'} ${parsed.ok ? 'is not valid' : AMOUNT_MESSAGES[parsed.problem]}`;
        },
      },
    },
    options,
  );
}
