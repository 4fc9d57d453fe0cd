import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Leagues, participants, auctions, accepted bids and the per-auction event log.
 * Money is bigint minor units. `auctions.seq` is the last sequence number handed out for the
 * auction (bids and the close each take the next one); `auction_events` keeps every one of them
 * under PK (auction_id, seq), so a gap or a duplicate cannot be stored, and sockets replay from it.
 */
export class Auctions1764000003000 implements MigrationInterface {
  name = 'Auctions1764000003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE leagues (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        sport text NOT NULL,
        invite_code text NOT NULL UNIQUE,
        owner_id uuid NOT NULL REFERENCES users(id),
        budget bigint NOT NULL CHECK (budget > 0),
        max_participants integer NOT NULL CHECK (max_participants BETWEEN 1 AND 500),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE league_participants (
        league_id uuid NOT NULL REFERENCES leagues(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id),
        remaining_budget bigint NOT NULL CHECK (remaining_budget >= 0),
        joined_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (league_id, user_id)
      )`);
    await q.query(
      `CREATE INDEX league_participants_user_idx ON league_participants (user_id, joined_at DESC, league_id DESC)`,
    );
    await q.query(`
      CREATE TABLE auctions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        league_id uuid NOT NULL REFERENCES leagues(id) ON DELETE CASCADE,
        lot text NOT NULL,
        status text NOT NULL DEFAULT 'SCHEDULED' CHECK (status IN ('SCHEDULED', 'OPEN', 'CLOSED')),
        starting_price bigint NOT NULL CHECK (starting_price > 0),
        min_increment bigint NOT NULL CHECK (min_increment > 0),
        duration_seconds integer NOT NULL CHECK (duration_seconds > 0),
        anti_snipe_seconds integer NOT NULL CHECK (anti_snipe_seconds >= 0),
        current_amount bigint,
        leader_id uuid REFERENCES users(id),
        winner_id uuid REFERENCES users(id),
        seq bigint NOT NULL DEFAULT 0,
        started_at timestamptz,
        ends_at timestamptz,
        closed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT auctions_open_has_end CHECK (status = 'SCHEDULED' OR ends_at IS NOT NULL)
      )`);
    // The timer scan of every replica reads only this partial index.
    await q.query(`CREATE INDEX auctions_open_idx ON auctions (ends_at) WHERE status = 'OPEN'`);
    await q.query(`CREATE INDEX auctions_league_idx ON auctions (league_id, created_at DESC)`);
    await q.query(`
      CREATE TABLE bids (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        auction_id uuid NOT NULL REFERENCES auctions(id) ON DELETE CASCADE,
        bidder_id uuid NOT NULL REFERENCES users(id),
        amount bigint NOT NULL CHECK (amount > 0),
        seq bigint NOT NULL,
        created_at timestamptz NOT NULL,
        UNIQUE (auction_id, seq)
      )`);
    await q.query(`
      CREATE TABLE auction_events (
        auction_id uuid NOT NULL REFERENCES auctions(id) ON DELETE CASCADE,
        seq bigint NOT NULL CHECK (seq > 0),
        type text NOT NULL CHECK (type IN ('bid', 'closed')),
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (auction_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE auction_events`);
    await q.query(`DROP TABLE bids`);
    await q.query(`DROP TABLE auctions`);
    await q.query(`DROP TABLE league_participants`);
    await q.query(`DROP TABLE leagues`);
  }
}
