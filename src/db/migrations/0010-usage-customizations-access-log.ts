import { sql, type Kysely } from 'kysely';

/**
 * Issue 5: usage metering, customizations and the access log.
 * - `usage_events`: every ingested event, keyed by (organization, idempotency key) so a retried
 *   batch counts once. No foreign keys: like activities, metering outlives what it describes, and
 *   ingest stays one index insert per event.
 * - `usage_daily`: the daily rollup per organization, UTC day, metric and project (the zero UUID
 *   stands for "no project", so the key needs no nullable column). Maintained in the ingest
 *   statement and by the API-call meter's flush, so it is always exact and usageCost reads only it.
 * - `access_log`: authentication events, apart from activities (they are not changes).
 * - `organizations.customizations`: one JSON object per organization.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table organizations add column customizations jsonb not null default '{}'::jsonb`.execute(db);

  await sql`
    create table usage_events (
      organization_id uuid not null,
      idempotency_key text not null,
      project_id uuid,
      metric text not null,
      quantity numeric not null,
      occurred_at timestamptz(3) not null,
      received_at timestamptz(3) not null,
      primary key (organization_id, idempotency_key)
    )`.execute(db);

  await sql`
    create table usage_daily (
      organization_id uuid not null,
      day date not null,
      metric text not null,
      project_id uuid not null,
      quantity numeric not null,
      events bigint not null,
      primary key (organization_id, day, metric, project_id)
    )`.execute(db);

  await sql`
    create table access_log (
      id uuid primary key,
      organization_id uuid,
      occurred_at timestamptz(3) not null,
      outcome text not null,
      credential_kind text not null,
      credential_id uuid,
      actor_type text,
      actor_id text,
      ip text,
      user_agent text,
      method text not null,
      route text not null,
      status integer not null,
      reason text
    )`.execute(db);
  await sql`create index access_log_org_time_idx on access_log (organization_id, occurred_at desc, id desc) where organization_id is not null`.execute(db);
}
