import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { foreignKeyViolation, isUniqueViolation } from '../../db/errors.js';
import type { Ids } from '../../ids.js';
import { requireRoot, requireSelfOrRoot } from '../access.js';
import { conflict, DomainError, forbidden, notFound } from '../errors.js';
import type { Principal } from '../principal.js';
import { memberAccess } from '../memberships/memberships.queries.js';
import { activeProjectOf, findProjectById, setActiveProject, type ProjectRow } from '../projects/projects.queries.js';
import { findUser, insertUser, type UserRow } from './users.queries.js';
import type { CreateUserInput, User } from './users.schemas.js';

export function createUsersService(deps: { db: Db; clock: Clock; ids: Ids }) {
  const { db, clock, ids } = deps;

  return {
    async create(principal: Principal, input: CreateUserInput): Promise<User> {
      requireRoot(principal);
      const now = clock.now();
      try {
        const row = await insertUser(db, {
          id: ids.uuid(),
          email: input.email.toLowerCase(), // the schema admits no surrounding whitespace
          first_name: input.firstName?.trim() ?? '',
          last_name: input.lastName?.trim() ?? '',
          created_at: now,
          updated_at: now,
        });
        return toUser(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('email: a user with this email already exists.', 'email_taken', 'email');
        throw error;
      }
    },

    async get(principal: Principal, id: string): Promise<User> {
      requireSelfOrRoot(principal, id);
      const row = await findUser(db, id);
      if (!row) throw notFound('User', id);
      return toUser(row);
    },

    /**
     * The project the user works in: the one they chose while they can still reach it, else the
     * oldest project of their oldest live membership. 404 when they belong to no organization.
     */
    async getActiveProject(principal: Principal, userId: string): Promise<ProjectRow> {
      requireSelfOrRoot(principal, userId);
      const project = await activeProjectOf(db, userId);
      if (project) return project;
      if (!(await findUser(db, userId))) throw notFound('User', userId);
      throw new DomainError('not_found', 'not_found', `User ${userId} belongs to no organization, so has no active project.`, undefined, 'Project');
    },

    /** Chooses the user's active project: one of a live organization the user is a member of. */
    async setActiveProject(principal: Principal, userId: string, projectId: string): Promise<ProjectRow> {
      requireSelfOrRoot(principal, userId);
      if (!(await findUser(db, userId))) throw notFound('User', userId);
      // A project outside the user's live organizations is "not found": its existence is not revealed.
      const project = await findProjectById(db, projectId);
      if (!project || !(await memberAccess(db, project.organization_id, userId))) throw notFound('Project', projectId);
      // A key limited to some organizations does not act in the others (as in access.ts).
      if (principal.kind === 'personal_key' && principal.organizationIds !== null && !principal.organizationIds.includes(project.organization_id)) {
        throw forbidden(`API key does not have access to the organization of project ${projectId}.`, 'organization_not_allowed');
      }
      const chosen = await setActiveProject(db, userId, projectId, clock.now()).catch((error: unknown) => {
        throw foreignKeyViolation(error) ? notFound('Project', projectId) : error; // deleted meanwhile
      });
      if (!chosen) throw notFound('Project', projectId); // left the organization, or it was deleted, meanwhile
      return chosen;
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    firstName: row.first_name,
    lastName: row.last_name,
    createdAt: row.created_at.toISOString(),
  };
}
