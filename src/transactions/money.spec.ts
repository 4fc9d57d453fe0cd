import { MAX_AMOUNT_MINOR, amountToMinor, decimalToMinor, formatMinor, parseAmount, toBigInt, type AmountProblem } from './money';

describe('parseAmount accepts decimal strings with at most two decimals', () => {
  const good: Array<[string, bigint]> = [
    ['1', 100n],
    ['0.01', 1n],
    ['0.1', 10n],
    ['0.10', 10n],
    ['12.5', 1250n],
    ['12.50', 1250n],
    ['100', 10000n],
    ['999999999.99', 99999999999n],
    ['1000000000', MAX_AMOUNT_MINOR],
    ['1000000000.00', MAX_AMOUNT_MINOR],
  ];

  it.each(good)('"%s" is %s minor units', (input, minor) => {
    expect(parseAmount(input)).toEqual({ ok: true, minor });
  });
});

describe('parseAmount refuses everything else', () => {
  const bad: Array<[string, unknown, AmountProblem]> = [
    ['a JSON number', 12.5, 'not-a-string'],
    ['an integer JSON number', 100, 'not-a-string'],
    ['null', null, 'not-a-string'],
    ['undefined', undefined, 'not-a-string'],
    ['a boolean', true, 'not-a-string'],
    ['an object', { amount: '1.00' }, 'not-a-string'],
    ['an array', ['1.00'], 'not-a-string'],
    ['a bigint', 100n, 'not-a-string'],
    ['an empty string', '', 'malformed'],
    ['exponent notation', '1e3', 'malformed'],
    ['upper-case exponent', '1E3', 'malformed'],
    ['a negative amount', '-1', 'malformed'],
    ['a negative decimal', '-0.50', 'malformed'],
    ['an explicit plus sign', '+1', 'malformed'],
    ['zero', '0', 'not-positive'],
    ['zero with decimals', '0.00', 'not-positive'],
    ['three decimals', '0.001', 'malformed'],
    ['three decimals on a whole amount', '1.000', 'malformed'],
    ['a leading space', ' 1', 'malformed'],
    ['a trailing space', '1 ', 'malformed'],
    ['a trailing newline', '1\n', 'malformed'],
    ['a trailing dot', '1.', 'malformed'],
    ['a leading dot', '.5', 'malformed'],
    ['NaN', 'NaN', 'malformed'],
    ['Infinity', 'Infinity', 'malformed'],
    ['a leading zero', '01', 'malformed'],
    ['a leading zero before decimals', '00.50', 'malformed'],
    ['a thousands separator', '1,000.00', 'malformed'],
    ['a decimal comma', '1,50', 'malformed'],
    ['hex', '0x10', 'malformed'],
    ['underscore separators', '1_000', 'malformed'],
    ['full-width digits', '１２', 'malformed'],
    ['Arabic-Indic digits', '١٢', 'malformed'],
    ['a currency symbol', '£12.50', 'malformed'],
    ['a currency code', '12.50 GBP', 'malformed'],
    ['two dots', '1.2.3', 'malformed'],
    ['just over the maximum', '1000000000.01', 'too-large'],
    ['far over the maximum', '99999999999999999999', 'too-large'],
    ['an absurdly long number', '9'.repeat(40), 'malformed'],
    ['a long string of garbage', 'x'.repeat(1000), 'malformed'],
  ];

  it.each(bad)('%s (%p) is refused as %s', (_label, input, problem) => {
    expect(parseAmount(input)).toEqual({ ok: false, problem });
  });
});

describe('formatMinor renders two decimals without floats', () => {
  const cases: Array<[bigint | string | number, string]> = [
    [0n, '0.00'],
    [1n, '0.01'],
    [10n, '0.10'],
    [1250n, '12.50'],
    ['1250', '12.50'],
    [99999999999n, '999999999.99'],
    [-5n, '-0.05'],
    ['-123456', '-1234.56'],
    [100, '1.00'],
    ['9223372036854775807', '92233720368547758.07'],
  ];
  it.each(cases)('%p → %s', (minor, text) => {
    expect(formatMinor(minor)).toBe(text);
  });

  it('round-trips every valid amount it is given', () => {
    for (const text of ['0.01', '0.99', '1.00', '12.34', '1000000000.00']) {
      expect(formatMinor(amountToMinor(text))).toBe(text);
    }
  });
});

describe('decimalToMinor (operator config)', () => {
  it.each([
    ['1000.00', 100000n],
    ['0', 0n],
    ['5000', 500000n],
    ['0.5', 50n],
  ] as Array<[string, bigint]>)('%s → %s', (text, minor) => {
    expect(decimalToMinor(text)).toBe(minor);
  });
  it.each(['', '-1', '1e3', '1.234', 'abc'])('refuses %p', (text) => {
    expect(() => decimalToMinor(text)).toThrow(RangeError);
  });
});

describe('toBigInt', () => {
  it('refuses unsafe numbers and non-integers', () => {
    expect(() => toBigInt(2 ** 60)).toThrow(RangeError);
    expect(() => toBigInt('1.5')).toThrow(RangeError);
    expect(toBigInt('-42')).toBe(-42n);
  });
});

describe('amountToMinor', () => {
  it('throws on an amount the validator should have refused', () => {
    expect(() => amountToMinor('1.001')).toThrow(RangeError);
  });
});
