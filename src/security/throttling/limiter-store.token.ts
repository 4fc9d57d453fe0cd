/** The limiter's own store (a ResilientStore on a dedicated Redis client, or in-process). */
export const LIMITER_STORE = Symbol('LIMITER_STORE');
