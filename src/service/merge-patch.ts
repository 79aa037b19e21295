/**
 * JSON Merge Patch (RFC 7396), as `PATCH /v1/jobs/{id}` applies it: objects
 * merge key by key, `null` removes a key, anything else replaces. It recurses
 * as deep as the patch: both documents are within the JSON depth limit (the
 * body parser refuses a deeper patch, the validator a deeper definition).
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const base = isObject(target) ? target : {};
  const keys = new Set([...Object.keys(base), ...Object.keys(patch)]);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    if (!(key in patch)) out[key] = base[key];
    else if (patch[key] !== null) out[key] = mergePatch(base[key], patch[key]);
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
