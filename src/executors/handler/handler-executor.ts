import { ChimeError } from '../../errors.js';
import type { ExecutionContext, Executor } from '../executor.js';
import { HandlerTargetSchema, type HandlerTarget } from './schema.js';

/** A function run by handler targets; its return value (JSON) is recorded as the result. */
export type Handler = (ctx: ExecutionContext) => unknown;

/** The in-process functions handler targets call: named ones and the one global handler. */
export class HandlerRegistry {
  private readonly named = new Map<string, Handler>();
  private fallback: Handler | undefined;

  /** Registers (or replaces) the function for handler targets naming `name`. */
  handle(name: string, fn: Handler): void {
    if (typeof name !== 'string' || name.length === 0) {
      throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'a handler name must be a non-empty string', {
        path: '/name',
      });
    }
    if (typeof fn !== 'function') {
      throw new ChimeError('CHIME_ERR_INVALID_INPUT', `handler "${name}" must be a function`, {
        path: '/fn',
      });
    }
    this.named.set(name, fn);
  }

  /** Sets the function for handler targets that name no registered handler. */
  setFallback(fn: Handler): void {
    if (typeof fn !== 'function') {
      throw new ChimeError('CHIME_ERR_INVALID_INPUT', 'the global handler must be a function', {
        path: '/fn',
      });
    }
    this.fallback = fn;
  }

  /** The function for `name`, else the global handler. */
  resolve(name: string | undefined): Handler | undefined {
    return (name === undefined ? undefined : this.named.get(name)) ?? this.fallback;
  }
}

/** The `handler` executor: calls a registered in-process function. */
export function handlerExecutor(registry: HandlerRegistry): Executor<HandlerTarget> {
  return {
    type: 'handler',
    schema: HandlerTargetSchema,
    async run(target, ctx) {
      const fn = registry.resolve(target.name);
      if (!fn) {
        throw new ChimeError(
          'CHIME_ERR_HANDLER_NOT_FOUND',
          target.name === undefined
            ? `job "${ctx.job.id}" has a handler target without a name and no global handler is set (scheduler.setHandler)`
            : `no handler "${target.name}" is registered in this instance (scheduler.handle) and no global handler is set`,
          { path: '/target/name' },
        );
      }
      return await fn(ctx);
    },
  };
}
