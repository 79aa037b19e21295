import Type from 'typebox';
import type { Api, RouteContext } from './context.js';

/** An instance as `GET /v1/instances` lists it (`model/instance.ts`). */
const InstanceSchema = Type.Object(
  {
    id: Type.String({ description: 'its instance id: the owner name of its leases' }),
    host: Type.String(),
    pid: Type.Integer(),
    version: Type.String({ description: 'the chime version it runs' }),
    startedAt: Type.String({ format: 'date-time' }),
    lastSeenAt: Type.String({ format: 'date-time', description: 'its last sign of life' }),
    capacity: Type.Integer({ description: 'attempts it runs at once' }),
    held: Type.Integer({ description: 'executions it held at its last sign of life' }),
    running: Type.Integer({ description: 'attempts it was running at its last sign of life' }),
  },
  { title: 'Instance' },
);

/** The registry of live instances. */
export function instanceRoutes(app: Api, { scheduler }: RouteContext): void {
  app.get(
    '/v1/instances',
    {
      schema: {
        tags: ['instances'],
        summary: 'The live instances of the store, with their last sign of life and what they hold',
        response: { 200: Type.Object({ items: Type.Array(InstanceSchema) }) },
      },
    },
    async () => ({ items: await scheduler.instances() }),
  );
}
