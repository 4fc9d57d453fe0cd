import { ValidateBy, buildMessage, type ValidationOptions } from 'class-validator';
import { MAX_AMOUNT_MINOR } from '../../transactions/money';
import { isAmount, parseAmount } from '../amount';

/** A positive amount up to the ledger's 1,000,000,000.00: the API documents' limit for every amount a client sends. */
function isPositiveAmount(value: unknown): boolean {
  if (!isAmount(value)) return false;
  const minor = parseAmount(value);
  return minor > 0n && minor <= MAX_AMOUNT_MINOR;
}

/** A money field: a decimal string with at most two decimals, above zero ("12.50"); numbers are refused. */
export function IsPositiveAmount(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPositiveAmount',
      validator: {
        validate: isPositiveAmount,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be a positive decimal string with at most two decimals, e.g. "12.50", not over 1000000000.00`,
          options,
        ),
      },
    },
    options,
  );
}
