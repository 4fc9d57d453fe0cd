/** What the repositories need from a connection: a transaction's EntityManager or the DataSource. */
import type { EntityManager } from 'typeorm';

export type Db = Pick<EntityManager, 'query'>;
