/**
 * The largest request body (DESIGN §3: over 100 KiB is 413), and so the largest Socket.IO message
 * ("same rules and limits as REST"), plus room for Socket.IO's own framing of one packet.
 */
export const BODY_LIMIT_BYTES = 100 * 1024;

/** engine.io's maxHttpBufferSize: a message over it closes the connection (the transport's refusal). */
export const SOCKET_MESSAGE_LIMIT_BYTES = BODY_LIMIT_BYTES + 1024;
