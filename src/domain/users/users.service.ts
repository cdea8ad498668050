import type { Clock } from '../../clock.js';
import type { Db } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { Ids } from '../../ids.js';
import { requireRoot, requireSelfOrRoot } from '../access.js';
import { conflict, notFound } from '../errors.js';
import type { Principal } from '../principal.js';
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
