/**
 * The gateway answers an event it does not handle with NOT_FOUND (auctions.gateway.ts); which
 * events it handles is CLIENT_EVENTS. Here: that list is exactly the gateway's @SubscribeMessage
 * events, so a new handler cannot be refused as unknown, nor a removed one kept as known.
 */
import { SubscribeMessage } from '@nestjs/websockets';
import { AuctionsGateway, CLIENT_EVENTS } from './auctions.gateway';

const MESSAGE_METADATA = 'message'; // @nestjs/websockets/constants (deep imports are not loadable here)

function subscribedEvents(cls: { prototype: object }): string[] {
  const proto = cls.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .map((name) =>
      typeof proto[name] === 'function' ? (Reflect.getMetadata(MESSAGE_METADATA, proto[name]) as unknown) : undefined,
    )
    .filter((event): event is string => typeof event === 'string');
}

describe('the events the gateway handles', () => {
  it('reads @SubscribeMessage the way Nest records it', () => {
    class Probe {
      @SubscribeMessage('probe:event')
      handle() {}
    }
    expect(subscribedEvents(Probe)).toEqual(['probe:event']);
  });

  it("CLIENT_EVENTS is exactly the gateway's subscribed events", () => {
    expect(subscribedEvents(AuctionsGateway).sort()).toEqual([...CLIENT_EVENTS].sort());
  });
});
