/** Row types of the tables, as Kysely sees them (snake_case, as stored). */
import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface PrivateEndpointRow {
  id: string;
  description: string;
  cloudProvider: string;
  region: string;
}

export interface ByocConfigRow {
  id: string;
  state: string;
  accountName: string;
  regionId: string;
  cloudProvider: string;
  displayName: string;
  availabilityZoneSuffixes: string[];
  vpcCidrRange: string;
}

export interface IpAccessEntryRow {
  source: string;
  description: string;
}

export interface OrganizationsTable {
  id: string;
  parent_id: string | null;
  name: string;
  private_endpoints: JSONColumnType<PrivateEndpointRow[], string, string>;
  byoc_config: JSONColumnType<ByocConfigRow[], string, string>;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
  version: Generated<number>;
  /** The installed license: its verified claims, key id and installation time (never the token). */
  license: JSONColumnType<InstalledLicenseRow | null, string | null, string | null>;
  /** The organization's customizations: one JSON object (limits in customizations.schemas.ts). */
  customizations: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface InstalledLicenseRow {
  claims: Record<string, unknown>;
  kid: string;
  installedAt: string;
}

export interface ApiKeysTable {
  id: string;
  /** Organization keys: the organization. Personal keys: null (see user_id). */
  organization_id: string | null;
  user_id: ColumnType<string | null, string | null | undefined, never>;
  /** PostHog-style scopes of a personal key; empty for organization keys. */
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  /** Personal keys: the organizations the key may act in; null means all of the user's. */
  organization_ids: ColumnType<string[] | null, string[] | null | undefined, string[] | null>;
  name: string;
  /** base64(sha256(keyId)): the key id is a credential half, so it is not stored in clear either. */
  key_id_hash: string;
  key_suffix: string;
  /** base64(sha256(keySecret)), the ClickHouse `hashData` form. */
  secret_hash: string;
  roles: string[];
  state: string;
  ip_access_list: JSONColumnType<IpAccessEntryRow[], string, string>;
  expire_at: NullableTimestamp;
  used_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ActivitiesTable {
  id: string;
  organization_id: string;
  type: string;
  actor_type: string;
  actor_id: string | null;
  actor_details: string | null;
  actor_ip: string | null;
  user_agent: string | null;
  project_id: string | null;
  target_id: string | null;
  key_update_type: string | null;
  changes: JSONColumnType<Record<string, { old: unknown; new: unknown }> | null, string | null, string | null>;
  created_at: Timestamp;
}

export interface SettingsTable {
  name: string;
  value: string;
  created_at: Timestamp;
}

export interface UsersTable {
  id: string;
  /** PostHog's integer user id; assigned by the database. */
  number: Generated<number>;
  email: string;
  first_name: string;
  last_name: string;
  /** The project the user works in (set through the API); null: the default fallback applies. */
  active_project_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MembershipsTable {
  id: string;
  organization_id: string;
  user_id: string;
  level: number;
  joined_at: Timestamp;
  updated_at: Timestamp;
}

export interface InvitationsTable {
  id: string;
  organization_id: string;
  email: string;
  level: number;
  created_at: Timestamp;
  expire_at: Timestamp;
  accepted_at: NullableTimestamp;
  accepted_by: string | null;
  created_by: string | null;
  first_name: Generated<string>;
  message: string | null;
  updated_at: Timestamp;
}

export interface RolesTable {
  id: string;
  organization_id: string;
  name: string;
  permissions: string[];
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RoleMembershipsTable {
  id: string;
  role_id: string;
  organization_id: string;
  user_id: string;
  joined_at: Timestamp;
  updated_at: Timestamp;
}

export interface ProjectsTable {
  id: string;
  organization_id: string;
  name: string;
  description: ColumnType<string, string | undefined, string>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** pg returns `numeric` as text (exact); queries convert it where they read it. */
type Numeric = ColumnType<string, string | number, string | number>;

export interface UsageEventsTable {
  organization_id: string;
  idempotency_key: string;
  project_id: string | null;
  metric: string;
  quantity: Numeric;
  occurred_at: Timestamp;
  received_at: Timestamp;
}

/** Daily rollup; `project_id` is the zero UUID for usage that belongs to no project. */
export interface UsageDailyTable {
  organization_id: string;
  day: ColumnType<string, string, string>;
  metric: string;
  project_id: string;
  quantity: Numeric;
  events: ColumnType<string, string | number, string | number>;
}

export interface AccessLogTable {
  id: string;
  /** The organization the credential belongs to or acted on; null when neither is known. */
  organization_id: string | null;
  occurred_at: Timestamp;
  outcome: 'success' | 'failure';
  credential_kind: string;
  credential_id: string | null;
  actor_type: string | null;
  actor_id: string | null;
  ip: string | null;
  user_agent: string | null;
  method: string;
  route: string;
  status: number;
  reason: string | null;
}

export interface Database {
  organizations: OrganizationsTable;
  api_keys: ApiKeysTable;
  activities: ActivitiesTable;
  settings: SettingsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  invitations: InvitationsTable;
  roles: RolesTable;
  role_memberships: RoleMembershipsTable;
  projects: ProjectsTable;
  usage_events: UsageEventsTable;
  usage_daily: UsageDailyTable;
  access_log: AccessLogTable;
}
