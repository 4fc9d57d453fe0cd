/** The two mails auth sends. Pure: text and link from a base URL and a token. */
import type { OutboxMail } from '../infra/mail/sealed-payload';

export function verificationMail(to: string, baseUrl: string, token: string, ttlSeconds: number): OutboxMail {
  const link = `${baseUrl.replace(/\/+$/, '')}/api/v1/auth/verify?token=${encodeURIComponent(token)}`;
  return {
    to,
    subject: 'Confirm your email address',
    link,
    text: [
      'Welcome to Bulwark.',
      '',
      'Open this link to confirm your email address:',
      link,
      '',
      `The link works once and expires in ${Math.round(ttlSeconds / 3600)} hours.`,
      'If you did not sign up, ignore this mail.',
    ].join('\n'),
  };
}

export function passwordResetMail(to: string, baseUrl: string, token: string, ttlSeconds: number): OutboxMail {
  const link = `${baseUrl.replace(/\/+$/, '')}/reset-password?token=${encodeURIComponent(token)}`;
  return {
    to,
    subject: 'Reset your password',
    link,
    text: [
      'Someone (hopefully you) asked to reset your Bulwark password.',
      '',
      'Open this link to choose a new password:',
      link,
      '',
      `Or send this token to POST /api/v1/auth/password/reset: ${token}`,
      '',
      `It works once and expires in ${Math.round(ttlSeconds / 60)} minutes. Resetting signs you out everywhere.`,
      'If you did not ask for this, ignore this mail: your password stays as it is.',
    ].join('\n'),
  };
}
