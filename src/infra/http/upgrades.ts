/**
 * Which requests that offer `Upgrade` are upgraded: Node's `shouldUpgradeCallback` server option
 * (Node 24 and later; Node 20 ignores it). Node's default upgrades every such request as soon as
 * anything listens for upgrades, and Socket.IO does; engine.io then closed the ones that are not
 * its own a second later, unanswered. A client that merely offers an upgrade got nothing back:
 * Java's HttpClient and `curl --http2` offer h2c on plain http:// requests. Only a websocket
 * upgrade on the Socket.IO path is taken; every other request is answered as the ordinary
 * HTTP/1.1 request it also is (RFC 9110 §7.8 lets a server ignore Upgrade).
 * Pure (type imports only).
 */
import type { IncomingMessage } from 'node:http';

export function socketIoUpgradesOnly(socketPath: string): (req: IncomingMessage) => boolean {
  const prefix = `${socketPath}/`;
  return (req) => req.url?.startsWith(prefix) === true && req.headers.upgrade?.toLowerCase() === 'websocket';
}

/** Node's server options for it; `@types/node` 20 does not know the option yet. */
export function upgradeOptions(socketPath: string): Record<string, unknown> {
  return { shouldUpgradeCallback: socketIoUpgradesOnly(socketPath) };
}
