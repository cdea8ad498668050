/** What other resources show of a user: a member, the creator of a role or an invitation. */
export interface UserSummary {
  id: string;
  /** PostHog's integer user id. */
  number: number;
  email: string;
  firstName: string;
  lastName: string;
}

/** The columns a summary is read from, under the `u` alias or a caller's prefix. */
export interface UserSummaryColumns {
  user_id: string;
  user_number: number;
  email: string;
  first_name: string;
  last_name: string;
}

export const toUserSummary = (row: UserSummaryColumns): UserSummary => ({
  id: row.user_id,
  number: row.user_number,
  email: row.email,
  firstName: row.first_name,
  lastName: row.last_name,
});

/** The creator's columns, selected from a left join of `users as u` on a `created_by` column. */
export const CREATOR_COLUMNS = [
  'u.number as creator_number',
  'u.email as creator_email',
  'u.first_name as creator_first_name',
  'u.last_name as creator_last_name',
] as const;

export interface CreatorColumns {
  created_by: string | null;
  creator_number: number | null;
  creator_email: string | null;
  creator_first_name: string | null;
  creator_last_name: string | null;
}

/** The creator of a row read with CREATOR_COLUMNS; null when no user made it (or the user is gone). */
export function creatorOf(row: CreatorColumns): UserSummary | null {
  if (row.created_by === null || row.creator_number === null) return null;
  return toUserSummary({
    user_id: row.created_by,
    user_number: row.creator_number,
    email: row.creator_email!,
    first_name: row.creator_first_name!,
    last_name: row.creator_last_name!,
  });
}
