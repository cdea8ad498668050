/**
 * BYOC (bring your own cloud) infrastructure records. Orgbase keeps the configuration the
 * operator's provisioning works from; the records appear in the organization's `byocConfig`.
 */
import { BlockList } from 'node:net';
import type { ByocConfigRow } from '../../db/schema.js';
import { requireOrganizationAccess } from '../access.js';
import type { ActivityRecorder } from '../activities/activity-recorder.js';
import { conflict, invalid, notFound } from '../errors.js';
import type { Principal } from '../principal.js';
import { findOrganization, updateOrganization } from './organizations.queries.js';
import {
  REGION_PROVIDERS,
  type ByocConfig,
  type CreateByocInput,
  type PatchByocInput,
} from './organizations.schemas.js';
import { requireNonBlankName } from '../names.js';
import type { OrganizationsDeps } from './organizations.service.js';

const DEFAULT_VPC_CIDR = '10.0.0.0/16';
const DEFAULT_ZONES = ['a', 'b', 'c'];

export function createByocService(deps: Omit<OrganizationsDeps, 'config' | 'keyCache' | 'hierarchy' | 'licenses'> & { activities: ActivityRecorder }) {
  const { db, clock, ids, activities } = deps;

  /** Runs `change` on the organization's BYOC list inside one locked transaction. */
  async function mutate<T>(
    principal: Principal,
    organizationId: string,
    change: (current: ByocConfigRow[]) => { next: ByocConfigRow[]; result: T; activity: Parameters<ActivityRecorder['record']>[2][number] },
  ): Promise<T> {
    await requireOrganizationAccess(db, principal, organizationId, 'admin');
    return db.transaction().execute(async (trx) => {
      const organization = await findOrganization(trx, organizationId, { forUpdate: true });
      if (!organization) throw notFound('Organization', organizationId);
      const { next, result, activity } = change(organization.byoc_config);
      await updateOrganization(trx, organizationId, { byoc_config: JSON.stringify(next), updated_at: clock.now() });
      await activities.record(trx, principal.actor, [activity]);
      return result;
    });
  }

  function find(list: ByocConfigRow[], id: string): ByocConfigRow {
    const entry = list.find((item) => item.id === id);
    if (!entry) throw notFound('BYOC infrastructure', id);
    return entry;
  }

  return {
    create(principal: Principal, organizationId: string, input: CreateByocInput): Promise<ByocConfig> {
      const vpcCidrRange = input.vpcCidrRange ?? DEFAULT_VPC_CIDR;
      if (!isIpv4Cidr(vpcCidrRange)) {
        throw invalid('vpcCidrRange', 'vpcCidrRange must be an IPv4 CIDR range such as 10.0.0.0/16 (prefix 16 to 28)');
      }
      const accountName = requireNonBlankName(input.accountId, 'accountId');
      const entry: ByocConfigRow = {
        id: ids.uuid(),
        state: 'infra-ready',
        accountName,
        regionId: input.regionId,
        cloudProvider: REGION_PROVIDERS[input.regionId],
        displayName: input.displayName === undefined ? accountName : requireNonBlankName(input.displayName, 'displayName'),
        availabilityZoneSuffixes: input.availabilityZoneSuffixes ?? DEFAULT_ZONES,
        vpcCidrRange,
      };
      return mutate(principal, organizationId, (current) => {
        if (current.some((item) => item.regionId === entry.regionId && item.accountName === entry.accountName)) {
          throw conflict(`BYOC infrastructure for account ${entry.accountName} in ${entry.regionId} already exists.`, 'duplicate_byoc');
        }
        return {
          next: [...current, entry],
          result: entry as ByocConfig,
          activity: { type: 'byoc_infrastructure_create', organizationId, targetId: entry.id, changes: { byocConfig: { old: null, new: entry } } },
        };
      });
    },

    update(principal: Principal, organizationId: string, id: string, input: PatchByocInput): Promise<ByocConfig> {
      const displayName = requireNonBlankName(input.displayName, 'displayName');
      return mutate(principal, organizationId, (current) => {
        const before = find(current, id);
        const after = { ...before, displayName };
        return {
          next: current.map((item) => (item.id === id ? after : item)),
          result: after as ByocConfig,
          activity: {
            type: 'byoc_infrastructure_update',
            organizationId,
            targetId: id,
            changes: { displayName: { old: before.displayName, new: displayName } },
          },
        };
      });
    },

    delete(principal: Principal, organizationId: string, id: string): Promise<void> {
      return mutate(principal, organizationId, (current) => {
        const before = find(current, id);
        return {
          next: current.filter((item) => item.id !== id),
          result: undefined,
          activity: { type: 'byoc_infrastructure_delete', organizationId, targetId: id, changes: { byocConfig: { old: before, new: null } } },
        };
      });
    },
  };
}

export type ByocService = ReturnType<typeof createByocService>;

function isIpv4Cidr(value: string): boolean {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(value);
  if (!match) return false;
  const prefix = Number(match[2]);
  if (prefix < 16 || prefix > 28) return false;
  try {
    new BlockList().addSubnet(match[1]!, prefix, 'ipv4');
    return match[1]!.split('.').every((octet) => Number(octet) <= 255);
  } catch {
    return false;
  }
}
