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
import { createUsageService } from './domain/usage/usage.service.js';
import { ApiCallMeter } from './domain/usage/api-call-meter.js';
import { createCustomizationsService } from './domain/customizations/customizations.service.js';
import { createAccessLogService } from './domain/access-log/access-log.service.js';

export interface ServiceDeps {
  db: Db;
  clock: Clock;
  ids: Ids;
  config: Pick<Config, 'privateEndpointServices' | 'maxOrganizationDepth' | 'licensePublicKeys' | 'licenseSigningKey' | 'licenseTypes' | 'usagePrices' | 'usageLateDays' | 'flushIntervalMs'>;
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
    usage: createUsageService({ db, clock, config: deps.config }),
    /** Started by the app when API calls are metered; stopped (and flushed) before the database closes. */
    apiCallMeter: new ApiCallMeter({ db, clock, flushIntervalMs: deps.config.flushIntervalMs }),
    customizations: createCustomizationsService({ db, clock, ids, activities }),
    /** Authentication attempts, buffered; stopped (and flushed) before the database closes. */
    accessLog: createAccessLogService({ db, clock, ids, config: deps.config }),
  };
}

export type Services = ReturnType<typeof createServices>;
