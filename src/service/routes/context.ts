import type { Logger } from 'pino';
import type {
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type, { type TObject, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { schemaCheck } from '../../model/check.js';
import { JOB_ID_PATTERN } from '../../model/limits.js';
import type { Scheduler } from '../../scheduler/scheduler.js';
import type { JobViews } from '../views.js';

/** The fastify instance the routes are registered on. */
export type Api = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  Logger,
  TypeBoxTypeProvider
>;

/** What every route module needs. */
export interface RouteContext {
  scheduler: Scheduler;
  views: JobViews;
  schemas: { job: TSchema; target: TSchema };
}

/** Marks a body schema as documentation only: the scheduler validates such bodies, with exact codes and paths. */
export const DEFERRED = 'x-chime-validated-by';

/** A body schema documented in the OpenAPI description but validated by the scheduler. */
export function deferred(schema: TSchema): TSchema {
  return { ...schema, [DEFERRED]: 'scheduler' };
}

/** `{id}` path parameters. */
export const IdParams = Type.Object({ id: Type.String({ pattern: JOB_ID_PATTERN }) });

/** Paging parameters of listings. */
export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 1000, description: 'page size (default 100)' }),
  ),
  cursor: Type.Optional(Type.String({ description: 'the nextCursor of the previous page' })),
};

/** Query text converted to the schema's types, then checked (throws ChimeError with the parameter's path). */
export function checkedQuery<T extends TObject>(schema: T, raw: unknown): Type.Static<T> {
  const value = Value.Convert(schema, raw);
  schemaCheck(schema).assert(value, '');
  return value as Type.Static<T>;
}
