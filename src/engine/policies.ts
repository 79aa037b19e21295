import retry from 'retry';
import { createHash } from 'node:crypto';
import { parseDuration } from '../model/duration.js';
import type { MisfirePolicy, OverlapPolicy } from '../model/policies.js';
import type { Retention, StoredDefinition } from '../stores/store.js';

/** The policies of one job with every default applied, durations in ms. */
export interface ResolvedPolicies {
  maxAttempts: number;
  backoff: 'exponential' | 'fixed';
  initialDelayMs: number;
  maxDelayMs: number;
  retryJitter: boolean;
  timeoutMs: number;
  misfire: MisfirePolicy;
  misfireGraceMs: number;
  maxCatchUp: number;
  overlap: OverlapPolicy;
  jitterMs: number;
  /** Finished executions kept (see `Retention`). */
  keepLast: number;
  maxAgeMs: number;
  /** No success for this long makes the job stale; null: never. */
  staleAfterMs: number | null;
}

/** The defaults of every policy (documented on `JobDefinition`). */
export const POLICY_DEFAULTS: Readonly<ResolvedPolicies> = Object.freeze({
  maxAttempts: 3,
  backoff: 'exponential',
  initialDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  retryJitter: true,
  timeoutMs: 5 * 60_000,
  misfire: 'fire_once',
  misfireGraceMs: 60_000,
  maxCatchUp: 100,
  overlap: 'allow',
  jitterMs: 0,
  keepLast: 100,
  maxAgeMs: 7 * 86_400_000,
  staleAfterMs: null,
});

/** Applies the defaults (the scheduler's, else {@link POLICY_DEFAULTS}) to a (validated) definition's policies. */
export function resolvePolicies(
  definition: StoredDefinition,
  d: Readonly<ResolvedPolicies> = POLICY_DEFAULTS,
): ResolvedPolicies {
  const r = definition.retry ?? {};
  const ms = (value: number | string | undefined, fallback: number, path: string) =>
    value === undefined ? fallback : parseDuration(value, path);
  return {
    maxAttempts: r.maxAttempts ?? d.maxAttempts,
    backoff: r.backoff ?? d.backoff,
    initialDelayMs: ms(r.initialDelay, d.initialDelayMs, '/retry/initialDelay'),
    maxDelayMs: ms(r.maxDelay, d.maxDelayMs, '/retry/maxDelay'),
    retryJitter: r.jitter ?? d.retryJitter,
    timeoutMs: ms(definition.timeout, d.timeoutMs, '/timeout'),
    misfire: definition.misfire ?? d.misfire,
    misfireGraceMs: ms(definition.misfireGrace, d.misfireGraceMs, '/misfireGrace'),
    maxCatchUp: definition.maxCatchUp ?? d.maxCatchUp,
    overlap: definition.overlap ?? d.overlap,
    jitterMs: ms(definition.jitter, d.jitterMs, '/jitter'),
    keepLast: definition.retention?.keepLast ?? d.keepLast,
    maxAgeMs: ms(definition.retention?.maxAge, d.maxAgeMs, '/retention/maxAge'),
    staleAfterMs:
      definition.staleAfter === undefined
        ? d.staleAfterMs
        : parseDuration(definition.staleAfter, '/staleAfter'),
  };
}

/**
 * {@link resolvePolicies} with `defaults`, remembered per definition object:
 * the claims of one job read together share its record, so a drain resolves
 * its job's policies once, not once a fire.
 */
export function policiesResolver(
  defaults: Readonly<ResolvedPolicies>,
): (definition: StoredDefinition) => ResolvedPolicies {
  const known = new WeakMap<StoredDefinition, ResolvedPolicies>();
  return (definition) => {
    let policies = known.get(definition);
    if (!policies) {
      policies = resolvePolicies(definition, defaults);
      known.set(definition, policies);
    }
    return policies;
  };
}

/**
 * The delay before the retry that follows failed attempt number `attempt`
 * (1-based), computed by the `retry` package: `initialDelay · 2^(attempt-1)`
 * (exponential) or `initialDelay` (fixed), randomized between 1× and 2× with
 * jitter, never above `maxDelay`.
 */
export function retryDelay(policies: ResolvedPolicies, attempt: number): number {
  return retry.createTimeout(attempt - 1, {
    minTimeout: policies.initialDelayMs,
    maxTimeout: policies.maxDelayMs,
    factor: policies.backoff === 'exponential' ? 2 : 1,
    randomize: policies.retryJitter,
  });
}

/**
 * A fire's deterministic delay in `[0, jitterMs)`: the same `(jobId, fireAt)`
 * always gets the same delay, on every instance, so a taken-over or re-planned
 * fire keeps its instant.
 */
export function fireJitter(jobId: string, fireAt: number, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  const digest = createHash('sha256').update(`${jobId}\u0000${fireAt}`).digest();
  return digest.readUInt32BE(0) % Math.floor(jitterMs);
}

/** The retention a store needs from resolved policies. */
export function retentionOf(policies: Pick<ResolvedPolicies, 'keepLast' | 'maxAgeMs'>): Retention {
  return { keepLast: policies.keepLast, maxAgeMs: policies.maxAgeMs };
}
