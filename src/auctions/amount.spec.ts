import { formatAmount, formatOptionalAmount, parseAmount } from './amount';

describe('auction amounts', () => {
  it.each([
    ['0', 0n],
    ['1', 100n],
    ['12.5', 1250n],
    ['12.50', 1250n],
    ['0.01', 1n],
    ['7.05', 705n],
    ['0.5', 50n],
    ['9999999999999.99', 999999999999999n],
  ])('parses %s as %s minor units', (text, minor) => {
    expect(parseAmount(text)).toBe(minor);
  });

  it.each(['', '-1', '1.234', '1.', '.5', '1e3', ' 1', '1 ', '10000000000000', 'abc', '1,00', '+1', '007.05', '00.10', '01', '00'])(
    'refuses %j',
    (text) => {
      expect(() => parseAmount(text)).toThrow(RangeError);
    },
  );

  it('refuses non-strings, numbers included', () => {
    expect(() => parseAmount(12.5 as unknown as string)).toThrow(RangeError);
    expect(() => parseAmount(null as unknown as string)).toThrow(RangeError);
    expect(() => parseAmount(12 as unknown as string)).toThrow(RangeError);
  });

  it.each([
    [0n, '0.00'],
    [1n, '0.01'],
    [1250n, '12.50'],
    ['100000', '1000.00'],
    [-705n, '-7.05'],
    [999999999999999n, '9999999999999.99'],
  ])('formats %s as %s', (minor, text) => {
    expect(formatAmount(minor)).toBe(text);
  });

  it('round-trips every cent value without floating point error', () => {
    for (let i = 0; i < 1000; i++) {
      const text = formatAmount(BigInt(i * 7 + 3));
      expect(formatAmount(parseAmount(text))).toBe(text);
    }
    expect(formatAmount(parseAmount('0.10') + parseAmount('0.20'))).toBe('0.30');
  });

  it('keeps SQL NULL as null', () => {
    expect(formatOptionalAmount(null)).toBeNull();
    expect(formatOptionalAmount('5')).toBe('0.05');
  });
});
