import { deriveOutboxKey, openMail, retryDelayMs, sealMail } from './sealed-payload';

describe('sealed outbox payloads', () => {
  const key = deriveOutboxKey('test-secret-that-is-long-enough-0123456789abcdef');
  const mail = { to: 'ada@example.test', subject: 'Confirm', text: 'link inside', link: 'http://x/verify?token=abc' };

  it('round-trips a mail and never shows the link in the sealed bytes', () => {
    const sealed = sealMail(key, mail);
    expect(sealed.toString('latin1')).not.toContain('token=abc');
    expect(openMail(key, sealed)).toEqual(mail);
    expect(sealMail(key, mail).equals(sealed)).toBe(false); // fresh IV each time
  });

  it('refuses a tampered payload and one sealed under another secret', () => {
    const sealed = sealMail(key, mail);
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(() => openMail(key, tampered)).toThrow();
    expect(() => openMail(deriveOutboxKey('another-secret-that-is-long-enough-012345'), sealed)).toThrow();
    expect(() => openMail(key, Buffer.from([9, 1, 2]))).toThrow('unknown outbox payload format');
  });
});

describe('mail retry backoff', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [6, 32000],
    [20, 60000],
  ])('after %i failures waits about %i ms (±20 %, capped)', (attempts, expected) => {
    expect(retryDelayMs(attempts, 1000, 60000, () => 0.5)).toBe(expected);
    expect(retryDelayMs(attempts, 1000, 60000, () => 0)).toBe(Math.round(expected * 0.8));
    expect(retryDelayMs(attempts, 1000, 60000, () => 1)).toBe(Math.min(60000, Math.round(expected * 1.2)));
  });
});
