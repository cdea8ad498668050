/**
 * Usage metering shapes: the ingest batch (native), ClickHouse's UsageCost report, and the native
 * monthly consumption view. Written once; they validate requests and document the API.
 */
import { Type, type Static } from 'typebox';
import { METRIC_PATTERN } from '../../usage-config.js';

/** At most this many events per batch: a 1,000-event batch is one statement of a few hundred KiB. */
export const MAX_BATCH_EVENTS = 1000;
/** Metered by the server itself; clients may not ingest it. */
export const API_CALLS_METRIC = 'api_calls';
/** The metric whose latest daily total is an organization's storage in GB (Locktera's `storage_used`). */
export const STORAGE_METRIC = 'storage_gb';

export const UsageEventSchema = Type.Object(
  {
    metric: Type.String({ pattern: METRIC_PATTERN.source, description: 'What is counted: lowercase letters, digits, `_ . : -`, starting with a letter (at most 64). `api_calls` is reserved for the server.' }),
    quantity: Type.Number({ minimum: 0, maximum: 1e15, description: 'How much (≥ 0; fractions allowed).' }),
    timestamp: Type.String({ format: 'date-time', description: 'When it happened (ISO-8601). Not in the future, and at most ORGBASE_USAGE_LATE_DAYS days old.' }),
    projectId: Type.Optional(Type.String({ format: 'uuid', description: 'The project it belongs to (a project of this organization).' })),
    idempotencyKey: Type.String({ minLength: 1, maxLength: 200, description: 'Unique per event within the organization: an event whose key was seen before is not counted again, so a retried batch counts once.' }),
  },
  { additionalProperties: false },
);
export type UsageEvent = Static<typeof UsageEventSchema>;

export const UsageBatchSchema = Type.Object(
  { events: Type.Array(UsageEventSchema, { minItems: 1, maxItems: MAX_BATCH_EVENTS, description: `1 to ${MAX_BATCH_EVENTS} events.` }) },
  { additionalProperties: false },
);

export const UsageIngestResultSchema = Type.Object({
  accepted: Type.Integer({ description: 'Events counted by this request.' }),
  duplicates: Type.Integer({ description: 'Events whose idempotency key had been seen (in an earlier request or earlier in this batch): not counted again.' }),
});
export type UsageIngestResult = Static<typeof UsageIngestResultSchema>;

const credits = (description: string) => Type.Number({ description });

export const UsageCostMetricsSchema = Type.Object({
  storageCHC: credits('Cost of metrics priced in the `storage` category.'),
  backupCHC: credits('Cost of metrics priced in the `backup` category.'),
  computeCHC: credits('Cost of metrics priced in the `compute` category (the default).'),
  dataTransferCHC: credits('Cost of metrics priced in the `dataTransfer` category.'),
  initialLoadCHC: credits('Cost of metrics priced in the `initialLoad` category.'),
  publicDataTransferCHC: credits('Cost of metrics priced in the `publicDataTransfer` category.'),
  interRegionTier1DataTransferCHC: credits('Cost of metrics priced in the `interRegionTier1DataTransfer` category.'),
  interRegionTier2DataTransferCHC: credits('Cost of metrics priced in the `interRegionTier2DataTransfer` category.'),
  interRegionTier3DataTransferCHC: credits('Cost of metrics priced in the `interRegionTier3DataTransfer` category.'),
  interRegionTier4DataTransferCHC: credits('Cost of metrics priced in the `interRegionTier4DataTransfer` category.'),
});
export type UsageCostMetrics = Static<typeof UsageCostMetricsSchema>;

export const MetricUsageSchema = Type.Object({
  metric: Type.String(),
  quantity: Type.Number({ description: 'Sum of the quantities.' }),
  unitPrice: Type.Number({ description: 'CHC per unit, from ORGBASE_USAGE_PRICES (0 when the metric has no price).' }),
  costCHC: Type.Number(),
});
export type MetricUsage = Static<typeof MetricUsageSchema>;

export const UsageCostRecordSchema = Type.Object({
  dataWarehouseId: Type.String({ format: 'uuid', description: 'The organization.' }),
  serviceId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()], { description: 'The project (Orgbase\'s "service"); null for usage of the organization itself.' }),
  date: Type.String({ format: 'date', description: 'UTC day.' }),
  entityType: Type.Enum(['datawarehouse', 'service'], { description: '`service` for a project, `datawarehouse` for the organization itself.' }),
  entityId: Type.String({ format: 'uuid' }),
  entityName: Type.String(),
  metrics: UsageCostMetricsSchema,
  totalCHC: Type.Number(),
  locked: Type.Boolean({ description: 'True once the day is older than the late-arrival window (ORGBASE_USAGE_LATE_DAYS): no event can change it any more.' }),
  usage: Type.Array(MetricUsageSchema, { description: 'Orgbase: the metrics behind the costs.' }),
});
export type UsageCostRecord = Static<typeof UsageCostRecordSchema>;

export const UsageCostSchema = Type.Object({
  grandTotalCHC: Type.Number(),
  costs: Type.Array(UsageCostRecordSchema, { description: 'One record per day and entity with usage, by date then entity.' }),
});
export type UsageCost = Static<typeof UsageCostSchema>;

export const ConsumptionSchema = Type.Object({
  organizationId: Type.String({ format: 'uuid' }),
  month: Type.String({ description: 'YYYY-MM (UTC).' }),
  from: Type.String({ format: 'date', description: 'First day of the month.' }),
  to: Type.String({ format: 'date', description: 'Last day of the month.' }),
  apiCalls: Type.Integer({ description: 'Requests the organization made to Orgbase (metric `api_calls`).' }),
  storageGb: Type.Number({ description: 'The latest daily total of `storage_gb` in the month (0 when none was reported).' }),
  metrics: Type.Array(
    Type.Object({ ...MetricUsageSchema.properties, events: Type.Integer({ description: 'How many events (or API calls) made up the quantity.' }) }),
    { description: 'Every metric with usage in the month, by name.' },
  ),
  totalCHC: Type.Number(),
});
export type Consumption = Static<typeof ConsumptionSchema>;
