import { Type, type Static } from 'typebox';

/** Size of the customizations' JSON text, in UTF-8 bytes (64 KiB). */
export const MAX_CUSTOMIZATIONS_BYTES = 64 * 1024;
/** Nesting levels: the top object is level 1, each nested object or array adds one. */
export const MAX_CUSTOMIZATIONS_DEPTH = 10;
/** Any one string value, in UTF-8 bytes (4 KiB). Member names count toward the size limit only. */
export const MAX_CUSTOMIZATION_STRING_BYTES = 4 * 1024;

const LIMITS =
  `At most ${MAX_CUSTOMIZATIONS_BYTES} bytes of JSON (64 KiB), ${MAX_CUSTOMIZATIONS_DEPTH} levels deep, ` +
  `string values at most ${MAX_CUSTOMIZATION_STRING_BYTES} bytes (4 KiB); over a limit is a 400 naming it and the path.`;

/**
 * Any JSON object: its members are the customer's. The limits are checked on the result of a
 * change (limits.ts), not here: a merge patch within them may still produce a result over them.
 */
export const CustomizationsSchema = Type.Object({}, {
  additionalProperties: true,
  description: `The organization's customizations: a JSON object of the customer's choosing. ${LIMITS}`,
});
export type Customizations = Static<typeof CustomizationsSchema> & Record<string, unknown>;

export const CustomizationsPatchSchema = Type.Object({}, {
  additionalProperties: true,
  description: `A JSON merge patch (RFC 7396): members set to null are removed, objects merge recursively, anything else replaces. ${LIMITS}`,
});
