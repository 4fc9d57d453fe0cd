/**
 * Typed, validated configuration, loaded once at start. The only reader of process.env.
 */
import { parseConfig, type Config } from './config.schema';

export class AppConfig {
  private static cached: Config | undefined;

  /** Reads and validates process.env once per process. */
  static load(): Config {
    AppConfig.cached ??= parseConfig(process.env);
    return AppConfig.cached;
  }

  constructor(readonly values: Config = AppConfig.load()) {}

  get<K extends keyof Config>(key: K): Config[K] {
    return this.values[key];
  }

  get isProduction(): boolean {
    return this.values.NODE_ENV === 'production';
  }

  /** True when no Redis topology is set: in-process stores, one replica only. */
  get singleInstance(): boolean {
    const c = this.values;
    return c.REDIS_URL === undefined && c.REDIS_SENTINELS === undefined && c.REDIS_CLUSTER_NODES === undefined;
  }
}
