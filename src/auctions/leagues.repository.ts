/**
 * All SQL for leagues and their participants. Every method takes the connection it runs on
 * (a transaction's EntityManager, or the DataSource for single reads), so the call site shows
 * what runs inside which transaction.
 */
import { Injectable } from '@nestjs/common';
import { queryRows, type Db } from './db';

export interface LeagueRow {
  id: string;
  name: string;
  sport: string;
  invite_code: string;
  owner_id: string;
  budget: string;
  max_participants: number;
  created_at: Date;
  participant_count: string;
}

export interface ParticipantRow {
  user_id: string;
  remaining_budget: string;
  joined_at: Date;
}

export interface MemberLeagueRow extends LeagueRow {
  remaining_budget: string;
  joined_at_text: string;
}

const LEAGUE_COLUMNS = `l.id, l.name, l.sport, l.invite_code, l.owner_id, l.budget, l.max_participants, l.created_at,
  (SELECT count(*) FROM league_participants c WHERE c.league_id = l.id) AS participant_count`;

@Injectable()
export class LeaguesRepository {
  async insertLeague(
    tx: Db,
    league: {
      name: string;
      sport: string;
      inviteCode: string;
      ownerId: string;
      budget: bigint;
      maxParticipants: number;
    },
  ): Promise<LeagueRow> {
    const [row] = await queryRows(
      tx,
      `INSERT INTO leagues (name, sport, invite_code, owner_id, budget, max_participants)
       VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, name, sport, invite_code, owner_id, budget, max_participants, created_at, 0 AS participant_count`,
      [league.name, league.sport, league.inviteCode, league.ownerId, league.budget.toString(), league.maxParticipants],
    );
    return row as LeagueRow;
  }

  /**
   * Locks the league row so joins to one league are counted one at a time, then reads it (and its
   * participant count) in a second statement, whose snapshot includes the previous joiner's commit.
   */
  async lockLeague(tx: Db, leagueId: string): Promise<LeagueRow | undefined> {
    const locked = await queryRows(tx, `SELECT 1 FROM leagues WHERE id = $1 FOR NO KEY UPDATE`, [leagueId]);
    if (locked.length === 0) return undefined;
    const [row] = await queryRows<LeagueRow>(tx, `SELECT ${LEAGUE_COLUMNS} FROM leagues l WHERE l.id = $1`, [leagueId]);
    return row;
  }

  async addParticipant(tx: Db, leagueId: string, userId: string, remainingBudget: string): Promise<ParticipantRow> {
    const [row] = await queryRows(
      tx,
      `INSERT INTO league_participants (league_id, user_id, remaining_budget) VALUES ($1, $2, $3)
       RETURNING user_id, remaining_budget, joined_at`,
      [leagueId, userId, remainingBudget],
    );
    return row as ParticipantRow;
  }

  async findParticipant(db: Db, leagueId: string, userId: string): Promise<ParticipantRow | undefined> {
    const rows = (await queryRows(
      db,
      `SELECT user_id, remaining_budget, joined_at FROM league_participants WHERE league_id = $1 AND user_id = $2`,
      [leagueId, userId],
    )) as ParticipantRow[];
    return rows[0];
  }

  async exists(db: Db, leagueId: string): Promise<boolean> {
    return (await queryRows(db, `SELECT 1 FROM leagues WHERE id = $1`, [leagueId])).length > 0;
  }

  /** The league, only when `userId` is one of its participants. */
  async findForMember(db: Db, leagueId: string, userId: string): Promise<LeagueRow | undefined> {
    const rows = (await queryRows(
      db,
      `SELECT ${LEAGUE_COLUMNS} FROM leagues l
       JOIN league_participants m ON m.league_id = l.id AND m.user_id = $2
       WHERE l.id = $1`,
      [leagueId, userId],
    )) as LeagueRow[];
    return rows[0];
  }

  async listParticipants(db: Db, leagueId: string): Promise<ParticipantRow[]> {
    return (await queryRows(
      db,
      `SELECT user_id, remaining_budget, joined_at FROM league_participants WHERE league_id = $1 ORDER BY joined_at, user_id`,
      [leagueId],
    )) as ParticipantRow[];
  }

  /** Leagues of one user, most recently joined first, keyset-paginated on (joined_at, league id). */
  async listForMember(
    db: Db,
    userId: string,
    limit: number,
    after?: { joinedAt: string; leagueId: string },
  ): Promise<MemberLeagueRow[]> {
    const params: unknown[] = [userId, limit];
    let where = '';
    if (after) {
      params.push(after.joinedAt, after.leagueId);
      where = `AND (m.joined_at, m.league_id) < ($3::timestamptz, $4::uuid)`;
    }
    return (await queryRows(
      db,
      `SELECT ${LEAGUE_COLUMNS}, m.remaining_budget, m.joined_at::text AS joined_at_text
       FROM league_participants m JOIN leagues l ON l.id = m.league_id
       WHERE m.user_id = $1 ${where}
       ORDER BY m.joined_at DESC, m.league_id DESC
       LIMIT $2`,
      params,
    )) as MemberLeagueRow[];
  }
}
