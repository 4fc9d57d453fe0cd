import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users (roles, privilege level, verification) and the append-only audit log. */
export class UsersAndAudit1764000000000 implements MigrationInterface {
  name = 'UsersAndAudit1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        password_hash text NOT NULL,
        display_name text,
        roles text[] NOT NULL DEFAULT ARRAY['CUSTOMER'],
        privilege_level text NOT NULL DEFAULT 'BASIC' CHECK (privilege_level IN ('BASIC','PREMIUM','BUSINESS')),
        email_verified_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_roles_valid CHECK (roles <@ ARRAY['CUSTOMER','TELLER','ADMIN'] AND cardinality(roles) > 0)
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_lower_uq ON users (lower(email))`);
    await q.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id uuid,
        action text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        ip text,
        user_agent text,
        request_id text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_log_user_idx ON audit_log (user_id, id DESC)`);
    await q.query(`CREATE INDEX audit_log_action_idx ON audit_log (action, id DESC)`);
    await q.query(`CREATE INDEX audit_log_created_idx ON audit_log (created_at)`);
    // Append-only: the table refuses UPDATE and DELETE whatever the caller.
    await q.query(`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`);
    await q.query(`
      CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_log`);
    await q.query(`DROP FUNCTION audit_log_append_only`);
    await q.query(`DROP TABLE users`);
  }
}
