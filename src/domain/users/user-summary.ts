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
