/**
 * Decorator metadata of a route handler, read once per (controller, handler) instead of on every
 * request. Decorators are applied when classes are defined, so the answer never changes after
 * start-up; global guards otherwise pay several reflect-metadata lookups per request.
 */
import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

export class HandlerMetadata<T> {
  private readonly byClass = new WeakMap<object, WeakMap<object, { value: T | undefined }>>();

  private constructor(private readonly read: (context: ExecutionContext) => T | undefined) {}

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
