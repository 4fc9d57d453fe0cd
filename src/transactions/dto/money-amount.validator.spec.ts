import { validateSync } from 'class-validator';
import { IsMoneyAmount } from './money-amount.validator';

class Priced {
  @IsMoneyAmount() amount!: unknown;
}

const valid = (amount: unknown) => {
  const p = new Priced();
  p.amount = amount;
  return validateSync(p).length === 0;
};

describe('IsMoneyAmount (ledger and auction amounts)', () => {
  it.each(['0.01', '1', '12.5', '12.50', '1000000000', '1000000000.00'])('takes %j', (amount) => {
    expect(valid(amount)).toBe(true);
  });

  it.each([0, 12.5, '0', '0.00', '1000000000.01', '9999999999999.99', '0010.00', '01', '-1', '1e3', '1.234', null])('refuses %j', (amount) => {
    expect(valid(amount)).toBe(false);
  });
});
