/**
 * The AsyncAPI 3 document of the Socket.IO API (DESIGN.md §5), served at /api/docs/asyncapi.json.
 * Socket.IO events are AsyncAPI messages named after the event; an acknowledgement is the reply
 * of the operation that sent the event. Shapes the REST API shares (the auction in the join ack,
 * the bid in the bid:place ack, field problems) are taken from the OpenAPI document, so the two
 * documents cannot drift apart; the rest mirrors the gateway, the relay and the timers.
 */
import type { OpenAPIObject } from '@nestjs/swagger';
import { MAX_AMOUNT_MINOR } from '../transactions/money';
import { SOCKET_PATH } from './auctions.gateway';

type Schema = Record<string, unknown>;

export const ASYNCAPI_URL = '/api/docs/asyncapi.json';

const UUID: Schema = { type: 'string', format: 'uuid', maxLength: 36 };
const TIMESTAMP: Schema = { type: 'string', format: 'date-time', maxLength: 32 };
const SEQ: Schema = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'Per-auction event number; rises by one per bid or close, with no gaps' };
const MONEY: Schema = { type: 'string', pattern: '^(0|[1-9][0-9]{0,17})\\.[0-9]{2}$', maxLength: 21, examples: ['12.50'] };
const AMOUNT_IN: Schema = {
  type: 'string',
  pattern: '^(0|[1-9][0-9]{0,29})(\\.[0-9]{1,2})?$',
  maxLength: 33,
  description: `Decimal string, at most two decimals, > 0, ≤ ${MAX_AMOUNT_MINOR / 100n}.00. Never a JSON number.`,
};

/** OpenAPI 3.0 schema → AsyncAPI (JSON Schema draft-07): `nullable` becomes a type union, `example` → `examples`. */
function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'example') continue;
    out[key] = toJsonSchema(value);
  }
  const source = node as Schema;
  if (source.example !== undefined) out.examples = [source.example];
  if (source.nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
  }
  return out;
}

function object(properties: Record<string, Schema>, required: string[] = Object.keys(properties), description?: string): Schema {
  return { type: 'object', additionalProperties: false, properties, required, ...(description ? { description } : {}) };
}

function refusalAck(codes: string[], fieldProblem: Schema): Schema {
  return object(
    {
      ok: { const: false },
      code: { type: 'string', enum: codes },
      message: { type: 'string', maxLength: 1000 },
      errors: { type: 'array', maxItems: 1000, items: fieldProblem, description: 'Field problems of VALIDATION_FAILED' },
      retryAfter: { type: 'integer', minimum: 0, maximum: 86_400, description: 'RATE_LIMIT_EXCEEDED: seconds until the bid budget frees a call; IP_BLOCKED: seconds until the block ends' },
    },
    ['ok', 'code', 'message'],
    'The event was refused; nothing changed',
  );
}

const message = (name: string, title: string, payload: Schema, summary?: string) => ({
  name,
  title,
  ...(summary ? { summary } : {}),
  contentType: 'application/json',
  payload,
});

export function buildAsyncApiDocument(openapi: OpenAPIObject): Schema {
  const schemas = openapi.components?.schemas ?? {};
  const shared = (name: string) => {
    const schema = schemas[name];
    if (!schema) throw new Error(`OpenAPI schema ${name} is missing`);
    // Inline: AsyncAPI payloads must not point into the OpenAPI document.
    return toJsonSchema(schema) as Schema;
  };
  const fieldProblem = shared('FieldProblemDto');
  const refusal = (codes: string[]) => refusalAck(codes, { ...fieldProblem, additionalProperties: false });
  const common = ['VALIDATION_FAILED', 'INTERNAL', 'SERVICE_UNAVAILABLE'];
  const ackOf = (success: Schema, codes: string[]) => ({ oneOf: [success, refusal([...codes, ...common])] });

  const messages = {
    auctionJoin: message('auction:join', 'Join an auction room', object({ auctionId: UUID, lastSeq: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Highest seq the client already has: every later event is re-sent first, in order' } }, ['auctionId'])),
    auctionJoinAck: message('auction:join ack', 'Joined (with the auction) or refused', ackOf(object({ ok: { const: true }, auction: shared('AuctionResponse') }), ['NOT_FOUND', 'IP_BLOCKED'])),
    auctionLeave: message('auction:leave', 'Leave an auction room', object({ auctionId: UUID })),
    auctionLeaveAck: message('auction:leave ack', 'Left', ackOf(object({ ok: { const: true } }), [])),
    bidPlace: message('bid:place', 'Place a bid (same rules and budget as POST /api/v1/auctions/{id}/bids)', object({ auctionId: UUID, amount: AMOUNT_IN })),
    bidPlaceAck: message(
      'bid:place ack',
      'The accepted bid, or why it was refused',
      ackOf(object({ ok: { const: true }, bid: shared('BidResponse') }), [
        'NOT_FOUND', 'AUCTION_NOT_OPEN', 'BID_TOO_LOW', 'BUDGET_EXCEEDED', 'NOT_A_PARTICIPANT', 'RATE_LIMIT_EXCEEDED', 'EMAIL_NOT_VERIFIED', 'IP_BLOCKED',
      ]),
    ),
    bidUpdate: message('bid_update', 'A bid was accepted', object({ auctionId: UUID, seq: SEQ, bidId: UUID, amount: MONEY, bidderId: UUID, endsAt: { ...TIMESTAMP, description: 'End after this bid (anti-snipe may have moved it)' }, at: TIMESTAMP })),
    timerTick: message('timer_tick', 'Countdown, about once a second while the auction is open', object({ auctionId: UUID, remainingMs: { type: 'integer', minimum: 0, maximum: 604_800_000 }, endsAt: TIMESTAMP })),
    auctionClosed: message('auction_closed', 'The auction closed (exactly once)', object({ auctionId: UUID, seq: SEQ, winnerId: { ...UUID, type: ['string', 'null'] }, amount: { ...MONEY, type: ['string', 'null'], description: 'Winning amount; null without bids' } })),
    serverShutdown: message('server_shutdown', 'This replica is shutting down: reconnect (with jitter) and rejoin with lastSeq', object({ reconnect: { const: true } })),
    sessionExpired: message('session_expired', 'The access token expired; the server disconnects. Reconnect with a fresh token', object({ code: { const: 'UNAUTHENTICATED' } })),
    connectError: message(
      'connect_error',
      'The handshake was refused (Socket.IO delivers it as an Error whose message is the code)',
      object({
        message: { type: 'string', enum: ['UNAUTHENTICATED', 'EMAIL_NOT_VERIFIED', 'IP_BLOCKED'] },
        data: object(
          {
            code: { type: 'string', enum: ['UNAUTHENTICATED', 'EMAIL_NOT_VERIFIED', 'IP_BLOCKED'] },
            retryAfter: { type: 'integer', minimum: 1, maximum: 86_400, description: 'IP_BLOCKED: seconds until the block ends' },
          },
          ['code'],
        ),
      }),
    ),
  };

  const channel = { $ref: '#/channels/auctions' };
  const ref = (name: keyof typeof messages) => ({ $ref: `#/channels/auctions/messages/${name}` });
  const send = (name: keyof typeof messages, ack: keyof typeof messages, summary: string) => ({
    action: 'send',
    channel,
    summary,
    messages: [ref(name)],
    reply: { channel, messages: [ref(ack)] },
  });
  const receive = (name: keyof typeof messages, summary: string) => ({ action: 'receive', channel, summary, messages: [ref(name)] });

  return {
    asyncapi: '3.1.0',
    info: {
      title: 'Bulwark auctions (Socket.IO)',
      version: '1',
      description:
        'Live auctions over Socket.IO 4 at path ' + SOCKET_PATH + ' (the websocket transport alone works; no sticky sessions). ' +
        'Send the access token as the handshake `auth.token`. Client events are answered by an acknowledgement: ' +
        '`{ok:true, …}` or `{ok:false, code, message}` with the codes of the REST API. Room events reach every member on every replica. ' +
        'An event not listed here is answered `{ok:false, code:"NOT_FOUND"}` when it asks for an acknowledgement, and ignored otherwise. ' +
        'A message over 100 KiB (the REST body limit) closes the connection.',
    },
    defaultContentType: 'application/json',
    servers: {
      bulwark: {
        host: '{host}',
        protocol: 'wss',
        pathname: SOCKET_PATH,
        description: 'The deployment serving this document (local, staging or production); ws:// without TLS',
        variables: { host: { default: 'localhost:3000', description: 'Host and port of the REST API' } },
        security: [{ $ref: '#/components/securitySchemes/accessToken' }],
      },
    },
    channels: {
      auctions: {
        address: '/',
        title: 'Default namespace',
        description: 'One namespace; auction rooms are joined with auction:join. Room events carry their auctionId.',
        messages,
      },
    },
    operations: {
      joinAuction: send('auctionJoin', 'auctionJoinAck', 'Join an auction room (members of its league only); with lastSeq, missed events are re-sent first'),
      leaveAuction: send('auctionLeave', 'auctionLeaveAck', 'Leave an auction room'),
      placeBid: send('bidPlace', 'bidPlaceAck', 'Place a bid; rules, limits and the bids budget are those of REST'),
      receiveBidUpdate: receive('bidUpdate', 'Every accepted bid of a joined auction, in seq order'),
      receiveTimerTick: receive('timerTick', 'Countdown of a joined, open auction'),
      receiveAuctionClosed: receive('auctionClosed', 'The close of a joined auction'),
      receiveServerShutdown: receive('serverShutdown', 'The replica is about to close the connection'),
      receiveSessionExpired: receive('sessionExpired', 'The token expired; the connection is closed'),
      receiveConnectError: receive('connectError', 'The handshake was refused'),
    },
    components: {
      securitySchemes: {
        accessToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The access token of POST /api/v1/auth/signin, sent in the Socket.IO handshake as auth.token (not a header), of a verified user',
        },
      },
    },
  };
}
