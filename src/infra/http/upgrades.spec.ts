import type { IncomingMessage } from 'node:http';
import { socketIoUpgradesOnly } from './upgrades';

const offer = (url: string, upgrade: string) => ({ url, headers: { upgrade } }) as unknown as IncomingMessage;

describe('socketIoUpgradesOnly', () => {
  const upgrades = socketIoUpgradesOnly('/api/socket.io');

  it.each([
    ['/api/socket.io/?EIO=4&transport=websocket', 'websocket', true],
    ['/api/socket.io/?EIO=4&transport=websocket', 'WebSocket', true],
    // an h2c offer on the Socket.IO path is a polling request: engine.io answers it over HTTP/1.1
    ['/api/socket.io/?EIO=4&transport=polling', 'h2c', false],
    ['/health/live', 'websocket', false],
    ['/health/live', 'h2c', false],
    ['/api/socket.iox/', 'websocket', false],
    ['/api/socket.io', 'websocket', false],
  ])('%s with Upgrade: %s -> %s', (url, upgrade, expected) => {
    expect(upgrades(offer(url, upgrade))).toBe(expected);
  });
});
