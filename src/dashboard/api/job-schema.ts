/**
 * The job JSON Schema the service serves (`GET /v1/schema/job`), read once
 * per page load: the form's fields and the raw editor's checks come from it,
 * so they follow the service's own target types and policies.
 */
import { api } from './client';
import type { JsonSchema } from './types';

let schema: Promise<JsonSchema> | undefined;

/** The job definition's schema (cached; a failed read is tried again next time). */
export function jobSchema(): Promise<JsonSchema> {
  schema ??= api<JsonSchema>('GET', '/v1/schema/job').catch((error: unknown) => {
    schema = undefined;
    throw error;
  });
  return schema;
}

/** The target variants of a schema's `target` property, by type name. */
export function targetVariants(job: JsonSchema): Map<string, JsonSchema> {
  const variants = new Map<string, JsonSchema>();
  for (const variant of job.properties?.['target']?.anyOf ?? []) {
    const type = variant.properties?.['type']?.const;
    if (typeof type === 'string') variants.set(type, variant);
  }
  return variants;
}
