import { ChimeError } from '../../errors.js';
import Type from 'typebox';
import { EXECUTION_STATUSES } from '../../model/execution.js';
import { checkedQuery, PageQuery, type Api, type RouteContext } from './context.js';

const ExecutionsQuery = Type.Object(
  {
    ...PageQuery,
    jobId: Type.Optional(Type.String({ minLength: 1 })),
    status: Type.Optional(Type.Union(EXECUTION_STATUSES.map((s) => Type.Literal(s)))),
  },
  { additionalProperties: false },
);

/** The execution routes. */
export function executionRoutes(app: Api, { scheduler }: RouteContext): void {
  app.get(
    '/v1/executions',
    {
      schema: {
        tags: ['executions'],
        summary: 'Executions of every job, newest first',
        querystring: ExecutionsQuery,
      },
    },
    async (request) => scheduler.listExecutions(checkedQuery(ExecutionsQuery, request.query)),
  );

  app.get(
    '/v1/executions/:id',
    {
      schema: {
        tags: ['executions'],
        summary: 'Get an execution',
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const execution = await scheduler.getExecution(id);
      if (!execution)
        throw new ChimeError('CHIME_ERR_EXECUTION_NOT_FOUND', `no execution has id "${id}"`, {
          path: '/id',
        });
      return execution;
    },
  );
}
