/**
 * An SMTP server (smtp-server package) that keeps what it receives, on a fixed loopback port so
 * it can be stopped and started again where the app expects it.
 */
import { SMTPServer } from 'smtp-server';
import { sleep } from '../harness';

export interface ReceivedMail {
  to: string[];
  subject: string;
  /** Decoded text body. */
  text: string;
  raw: string;
}

export interface SmtpSink {
  port: number;
  url: string;
  received: ReceivedMail[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Waits for a mail to `to` (lower-case) and returns it. */
  waitForMail(to: string, timeoutMs?: number): Promise<ReceivedMail>;
  mailsTo(to: string): ReceivedMail[];
}

function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

export function parseMail(raw: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
  const cte = header('Content-Transfer-Encoding').toLowerCase();
  if (cte === 'quoted-printable') body = decodeQuotedPrintable(body);
  else if (cte === 'base64') body = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return { to, subject: header('Subject'), text: body.replace(/\r\n/g, '\n'), raw };
}

/** `refuse`: recipients the server answers 550 (a permanent refusal) at RCPT TO. */
export async function startSmtpSink(port: number, opts: { refuse?: (address: string) => boolean } = {}): Promise<SmtpSink> {
  let server: SMTPServer | undefined;
  const sink: SmtpSink = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    received: [],
    async start() {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onRcptTo(address, _session, callback) {
          if (opts.refuse?.(address.address.toLowerCase())) {
            const err = new Error('mailbox unavailable') as Error & { responseCode: number };
            err.responseCode = 550;
            callback(err);
            return;
          }
          callback();
        },
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
            sink.received.push(parseMail(Buffer.concat(chunks).toString('utf8'), to));
            callback();
          });
        },
      });
      await new Promise<void>((res, rej) => {
        server!.once('error', rej);
        server!.listen(port, '127.0.0.1', () => res());
      });
    },
    async stop() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((res) => s.close(() => res()));
    },
    mailsTo(to: string) {
      return sink.received.filter((m) => m.to.includes(to.toLowerCase()));
    },
    async waitForMail(to: string, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = sink.mailsTo(to);
        if (found.length > 0) return found[0];
        if (Date.now() > deadline) throw new Error(`expected a mail to ${to} within ${timeoutMs} ms; got mails to: ${sink.received.map((m) => m.to.join(',')).join(' | ') || 'none'}`);
        await sleep(100);
      }
    },
  };
  await sink.start();
  return sink;
}

/** The token of the first link with ?token= in a mail. */
export function tokenFromMail(mail: ReceivedMail): string {
  const m = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!m) throw new Error(`mail "${mail.subject}" carries no ?token= link:\n${mail.text}`);
  return m[1];
}
