import type { TSchema } from 'typebox';
import type { Job, JobDefinition } from '../scheduler/scheduler.js';
import { redactSecrets, restoreSecrets } from '../model/secrets.js';
import { mergePatch } from './merge-patch.js';

/**
 * How jobs cross the API boundary: secret fields of targets are write-only —
 * redacted in every answer, and kept on update when the client sends the
 * redaction placeholder back.
 */
export class JobViews {
  constructor(private readonly targetSchema: TSchema) {}

  /** A job as the API answers it: its targets' secrets redacted. */
  redact(job: Job): Job {
    const out: Job = {
      ...job,
      target: redactSecrets(this.targetSchema, job.target) as Job['target'],
    };
    if (job.onFailure !== undefined)
      out.onFailure = redactSecrets(this.targetSchema, job.onFailure) as Job['target'];
    return out;
  }

  /**
   * A JSON merge patch applied to a job as the API shows it (secrets redacted),
   * to be restored like a PUT's body: a stored secret is kept only while its
   * destination stays the same, whichever route changes the job.
   */
  patch(stored: Job, patch: unknown): unknown {
    return mergePatch(definitionOf(this.redact(stored)), patch);
  }

  /** An incoming definition with redaction placeholders replaced by the stored secrets. */
  restore(incoming: JobDefinition, stored: Job | null): JobDefinition {
    if (!stored || typeof incoming !== 'object' || incoming === null) return incoming;
    const out = { ...incoming };
    if (out.target !== undefined) {
      out.target = restoreSecrets(
        this.targetSchema,
        out.target,
        stored.target,
        '/target',
      ) as Job['target'];
    }
    if (out.onFailure !== undefined) {
      out.onFailure = restoreSecrets(
        this.targetSchema,
        out.onFailure,
        stored.onFailure,
        '/onFailure',
      ) as Job['target'];
    }
    return out;
  }
}

/** The definition part of a job (what `PATCH` merges into): its state fields removed. */
function definitionOf(job: Job): JobDefinition {
  const {
    nextFireAt: _n,
    version: _v,
    createdAt: _c,
    updatedAt: _u,
    completedAt: _d,
    fireCount: _f,
    lastOutcome: _l,
    stats: _s,
    staleSince: _t,
    ...definition
  } = job;
  return definition;
}
