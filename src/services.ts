/** Wires the domain services together. Everything is a factory: no singletons, no globals. */
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/database.js';
import type { Ids } from './ids.js';
import { createActivitiesService } from './domain/activities/activities.service.js';
import { createActivityRecorder } from './domain/activities/activity-recorder.js';
import { createApiKeysService } from './domain/api-keys/api-keys.service.js';
import { createAuthenticator } from './domain/auth/authenticator.js';
import { KeyCache } from './domain/auth/key-cache.js';
import { createByocService } from './domain/organizations/byoc.service.js';
import { createHierarchyService } from './domain/organizations/hierarchy.service.js';
import { createLicensesService } from './domain/licenses/licenses.service.js';
import { createOrganizationsService } from './domain/organizations/organizations.service.js';
import { createPersonalKeysService } from './domain/api-keys/personal-keys.service.js';
import { createUsersService } from './domain/users/users.service.js';
import { createInvitationsService } from './domain/memberships/invitations.service.js';
import { createMembershipsService } from './domain/memberships/memberships.service.js';
import { createRolesService } from './domain/roles/roles.service.js';
import { createProjectsService } from './domain/projects/projects.service.js';

export interface ServiceDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  config: Pick<Config, 'privateEndpointServices' | 'maxOrganizationDepth' | 'licensePublicKeys' | 'licenseSigningKey' | 'licenseTypes'>;
  rootKeyHash: string;
}

export function createServices(deps: ServiceDeps) {
  const { db, clock, ids } = deps;
  const keyCache = new KeyCache();
  const activities = createActivityRecorder({ clock, ids });
  const hierarchy = createHierarchyService({ db, clock, ids, config: deps.config, activities });
  const licenses = createLicensesService({ db, clock, ids, config: deps.config, activities });
  return {
    db,
    keyCache,
    authenticator: createAuthenticator({ db, clock, keyCache, rootKeyHash: deps.rootKeyHash }),
    organizations: createOrganizationsService({ db, clock, ids, config: deps.config, activities, keyCache, hierarchy, licenses }),
    hierarchy,
    licenses,
    byoc: createByocService({ db, clock, ids, activities }),
    apiKeys: createApiKeysService({ db, clock, ids, activities, keyCache }),
    activities: createActivitiesService({ db }),
    users: createUsersService({ db, clock, ids }),
    personalKeys: createPersonalKeysService({ db, clock, ids, keyCache }),
    memberships: createMembershipsService({ db, clock, ids, activities }),
    invitations: createInvitationsService({ db, clock, ids, activities }),
    roles: createRolesService({ db, clock, ids, activities }),
    projects: createProjectsService({ db, clock, ids, activities }),
  };
}

export type Services = ReturnType<typeof createServices>;
