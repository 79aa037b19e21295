/**
 * The built-in target types. Each is one executor module under
 * `src/executors/<type>/`; this list is the one place that names them all.
 */
import type { Executor } from './executor.js';
import { amqpExecutor, type AmqpTarget } from './amqp/index.js';
import { emailExecutor, type EmailTarget } from './email/index.js';
import { handlerExecutor, type HandlerRegistry } from './handler/handler-executor.js';
import type { HandlerTarget } from './handler/schema.js';
import { httpExecutor, type HttpTarget } from './http/index.js';
import { natsExecutor, type NatsTarget } from './nats/index.js';
import { shellExecutor, type ShellTarget } from './shell/index.js';

/** Any target a job may name, discriminated by `type`. */
export type Target =
  HandlerTarget | HttpTarget | AmqpTarget | NatsTarget | EmailTarget | ShellTarget;

/** What the built-in executors are made from. */
export interface BuiltinExecutorDeps {
  /** The in-process functions of handler targets. */
  handlers: HandlerRegistry;
  /** Whether shell targets may be defined and run. */
  allowShell: boolean;
  /** Hosts HTTP targets may call (hostnames or `*.domain`); any when absent. */
  httpAllowHosts?: string[] | undefined;
  /** Whether HTTP targets may call link-local and cloud-metadata addresses. */
  httpAllowLinkLocal: boolean;
  /** Whether HTTP targets are refused loopback and private addresses. */
  httpDenyPrivate: boolean;
  /** The Standard Webhooks secret(s) of HTTP targets without their own. */
  httpSigningSecret?: string | string[] | undefined;
  /** The cap on recorded results, which HTTP excerpts are cut to fit. */
  maxResultBytes: number;
}

/** The built-in executors, one per target type. */
export function builtinExecutors(deps: BuiltinExecutorDeps): Executor[] {
  const executors: Executor[] = [
    handlerExecutor(deps.handlers) as Executor,
    httpExecutor({
      allowHosts: deps.httpAllowHosts,
      allowLinkLocal: deps.httpAllowLinkLocal,
      denyPrivate: deps.httpDenyPrivate,
      maxResultBytes: deps.maxResultBytes,
      ...(deps.httpSigningSecret === undefined ? {} : { signingSecret: deps.httpSigningSecret }),
    }) as Executor,
    amqpExecutor() as Executor,
    natsExecutor() as Executor,
    emailExecutor() as Executor,
    shellExecutor({ allowed: deps.allowShell }) as Executor,
  ];
  return executors;
}
