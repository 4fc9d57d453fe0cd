/**
 * The databases a test file made with createDatabase, recorded on its global object and dropped
 * when the file ends (integration-environment.ts): a full run makes about 60 of them, 8 MB each,
 * and used to keep all of them on disk until the end.
 */
import { Client } from 'pg';

const KEY = '__BW_TEST_DATABASES__';

interface MadeDatabase {
  serverUrl: string;
  name: string;
}

type Recorded = { [KEY]?: MadeDatabase[] };

/** Records a database made by the test file whose global object is `global` (by default the caller's). */
export function recordDatabase(serverUrl: string, name: string, global: object = globalThis): void {
  ((global as Recorded)[KEY] ??= []).push({ serverUrl, name });
}

/** Drops every database recorded on `global` (a test file's global object). */
export async function dropMadeDatabases(global: object): Promise<void> {
  for (const db of (global as Recorded)[KEY] ?? []) await dropDatabase(db);
}

async function dropDatabase({ serverUrl, name }: MadeDatabase): Promise<void> {
  const admin = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 5_000 });
  try {
    await admin.connect();
    // FORCE: a connection the file left open (a pool still closing) must not keep the database.
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } catch (err) {
    // A server the file started itself is gone with its data: nothing to drop.
    if ((err as NodeJS.ErrnoException).code !== 'ECONNREFUSED') process.stderr.write(`could not drop test database ${name}: ${String(err)}\n`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}
