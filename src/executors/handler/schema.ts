import Type from 'typebox';

/**
 * Calls an in-process function registered with `scheduler.handle(name, fn)`;
 * without `name` (or when no function has that name) the global handler set
 * with `scheduler.setHandler(fn)` runs.
 */
export const HandlerTargetSchema = Type.Object(
  {
    type: Type.Literal('handler'),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description: 'Name given to scheduler.handle()',
      }),
    ),
  },
  { additionalProperties: false, title: 'HandlerTarget' },
);

/** A handler target. */
export type HandlerTarget = Type.Static<typeof HandlerTargetSchema>;
