/**
 * argon2id password hashing (@node-rs/argon2, off the event loop). `verify` against an unknown
 * account still runs a full argon2 verification against a dummy hash made at start-up with the
 * same parameters, so "no such email" and "wrong password" take the same time.
 */
import { Injectable, OnModuleInit } from '@nestjs/common';
import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/config.service';

const ARGON2ID = 2 as Algorithm;

@Injectable()
export class PasswordHasher implements OnModuleInit {
  private dummyHash = '';

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash(randomBytes(24).toString('base64'));
  }

  hash(password: string): Promise<string> {
    return hash(password, {
      algorithm: ARGON2ID,
      memoryCost: this.config.get('PASSWORD_HASH_MEMORY_KIB'),
      timeCost: this.config.get('PASSWORD_HASH_TIME_COST'),
      parallelism: 1,
    });
  }

  /** True only when `stored` is an argon2 hash of `password`; undefined `stored` burns the same time. */
  async verify(stored: string | undefined, password: string): Promise<boolean> {
    const usable = typeof stored === 'string' && stored.startsWith('$argon2');
    try {
      const ok = await verify(usable ? stored : this.dummyHash, password);
      return ok && usable;
    } catch {
      return false;
    }
  }
}
