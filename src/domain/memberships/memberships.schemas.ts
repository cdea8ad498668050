import { Type, type Static } from 'typebox';

/** ClickHouse speaks roles, PostHog levels: admin ≈ 8 (owners show as admin), developer ≈ 1. */
export const MEMBER_ROLES = ['admin', 'developer'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];
export const roleOfLevel = (level: number): MemberRole => (level >= 8 ? 'admin' : 'developer');
export const levelOfRole = (role: MemberRole): number => (role === 'admin' ? 8 : 1);

const RoleSchema = Type.Enum([...MEMBER_ROLES], { description: 'admin (levels 8 and 15) or developer (level 1).' });
const LevelSchema = Type.Enum([1, 8, 15], { description: 'Orgbase/PostHog level: 1 member, 8 admin, 15 owner.' });

export const MemberSchema = Type.Object({
  userId: Type.String({ format: 'uuid', description: 'Unique user ID, the same in every organization.' }),
  name: Type.String({ description: 'Name of the member.' }),
  email: Type.String({ format: 'email', description: 'Email of the member.' }),
  role: RoleSchema,
  level: Type.Integer({ description: 'Orgbase extension: 1 member, 8 admin, 15 owner.' }),
  joinedAt: Type.String({ format: 'date-time', description: 'Timestamp the member joined the organization. ISO-8601.' }),
});
export type Member = Static<typeof MemberSchema>;

export const PatchMemberBody = Type.Object(
  { role: Type.Optional(RoleSchema), level: Type.Optional(LevelSchema) },
  { additionalProperties: false, description: 'Give `role` (ClickHouse) or `level` (Orgbase/PostHog).' },
);
export type PatchMemberInput = Static<typeof PatchMemberBody>;

export const AddMemberBody = Type.Object(
  {
    userId: Type.String({ format: 'uuid', description: 'An existing user (see POST /v1/users).' }),
    role: Type.Optional(RoleSchema),
    level: Type.Optional(LevelSchema),
  },
  { additionalProperties: false, description: 'Give `role` or `level`; the default is developer (level 1).' },
);
export type AddMemberInput = Static<typeof AddMemberBody>;

export const InvitationSchema = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Unique invitation ID.' }),
  email: Type.String({ format: 'email', description: 'Only a user with this email can join using the invitation. Stored in lowercase.' }),
  role: RoleSchema,
  level: Type.Integer({ description: 'Orgbase extension: the level the invitee joins at.' }),
  createdAt: Type.String({ format: 'date-time' }),
  expireAt: Type.String({ format: 'date-time' }),
  acceptedAt: Type.Optional(Type.String({ format: 'date-time', description: 'Orgbase extension: when it was accepted.' })),
});
export type Invitation = Static<typeof InvitationSchema>;

export const CreateInvitationBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    role: Type.Optional(RoleSchema),
    level: Type.Optional(LevelSchema),
  },
  { additionalProperties: false, description: 'Give `role` or `level`; the default is developer (level 1).' },
);
export type CreateInvitationInput = Static<typeof CreateInvitationBody>;

/** What every surface's invitation body comes down to. */
export interface InvitationDraft {
  email: string;
  role?: MemberRole | undefined;
  level?: number | undefined;
  firstName?: string | undefined;
  message?: string | null | undefined;
  /** Replace a pending invitation to the same address instead of refusing (PostHog's combine_pending_invites). */
  replacePending?: boolean | undefined;
}

export const INVITATION_VALIDITY_DAYS = 7;
