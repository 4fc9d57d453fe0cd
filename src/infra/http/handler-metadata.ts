/**
 * Decorator metadata of a route handler, read once per (controller, handler) instead of on every
 * request. Decorators are applied when classes are defined, so the answer never changes after
 * start-up; global guards otherwise pay several reflect-metadata lookups per request.
 */
import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

export class HandlerMetadata<T> {
  private readonly byClass = new WeakMap<object, WeakMap<object, { value: T | undefined }>>();

  /** `read` runs once per (class, handler). */
  constructor(private readonly read: (context: ExecutionContext) => T | undefined) {}

  /** `reflector.getAllAndOverride(key, [handler, class])`, cached per handler and class. */
  static of<T>(reflector: Reflector, key: string): HandlerMetadata<T> {
    return new HandlerMetadata<T>((context) => reflector.getAllAndOverride<T | undefined>(key, [context.getHandler(), context.getClass()]));
  }

  get(context: ExecutionContext): T | undefined {
    const cls = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.byClass.get(cls);
    if (!byHandler) this.byClass.set(cls, (byHandler = new WeakMap()));
    let entry = byHandler.get(handler);
    if (!entry) byHandler.set(handler, (entry = { value: this.read(context) }));
    return entry.value;
  }
}

/**
 * A Reflector whose `getAllAndOverride(key, [handler, class])` is read once per (key, handler,
 * class): for library guards that look metadata up on every request (@nestjs/throttler's guard
 * reads five keys per named throttler per request). Other reads go to the real Reflector.
 */
export function cachingReflector(reflector: Reflector): Reflector {
  const byKey = new Map<unknown, WeakMap<object, WeakMap<object, { value: unknown }>>>();
  const cached = Object.create(reflector) as Reflector;
  cached.getAllAndOverride = ((key: string, targets: unknown[]) => {
    const [handler, cls] = targets ?? [];
    if (targets?.length !== 2 || typeof handler !== 'function' || typeof cls !== 'function') {
      return reflector.getAllAndOverride(key, targets as never);
    }
    let byHandler = byKey.get(key);
    if (!byHandler) byKey.set(key, (byHandler = new WeakMap()));
    let byClass = byHandler.get(handler);
    if (!byClass) byHandler.set(handler, (byClass = new WeakMap()));
    let entry = byClass.get(cls);
    if (!entry) byClass.set(cls, (entry = { value: reflector.getAllAndOverride(key, targets as never) }));
    return entry.value;
  }) as Reflector['getAllAndOverride'];
  return cached;
}
