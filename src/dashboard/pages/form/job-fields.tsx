import { targetVariants } from '../../api/job-schema';
import type { JsonSchema } from '../../api/types';
import { getAt } from '../../lib/pointer';
import { Field, Group } from './field';
import { MetadataFields } from './metadata-fields';
import { ScheduleFields } from './schedule-fields';
import { SchemaField, SchemaFields, type SetValue } from './schema-fields';

/** The job's fields the form lays out itself; the rest (the policies) come from the schema. */
const OWN_FIELDS = ['id', 'schedule', 'target', 'payload', 'metadata', 'onFailure', 'paused'];

/** What each part of the form is given. */
interface Part {
  schema: JsonSchema;
  draft: Record<string, unknown>;
  onValue: SetValue;
}

/** The form view of a job definition: schedule, target, payload, metadata, policies, dead-letter. */
export function JobFields(
  props: Part & {
    editing: boolean;
    onPreviewError: (error: { path: string; message: string } | null) => void;
  },
) {
  const { schema, draft, onValue } = props;
  const variants = targetVariants(schema);
  return (
    <>
      {!props.editing && <IdField {...props} />}
      <ScheduleFields
        schedule={(draft['schedule'] as Record<string, unknown> | undefined) ?? { kind: 'cron' }}
        onValue={onValue}
        onPreviewError={props.onPreviewError}
      />
      <TargetFields
        path="/target"
        legend="Target"
        variants={variants}
        draft={draft}
        onValue={onValue}
        optional={false}
      />
      <SchemaField
        name="payload"
        schema={schema.properties?.['payload'] ?? {}}
        path="/payload"
        value={draft['payload']}
        required={false}
        onValue={onValue}
      />
      <MetadataFields
        value={draft['metadata'] as Record<string, string> | undefined}
        onValue={onValue}
      />
      <PolicyFields {...props} />
      <details open={draft['onFailure'] !== undefined}>
        <summary>On failure: a target run once when an execution fails for good</summary>
        <TargetFields
          path="/onFailure"
          legend="On failure"
          variants={variants}
          draft={draft}
          onValue={onValue}
          optional
        />
      </details>
      {!props.editing && (
        <div class="field checkbox">
          <label>
            <input
              type="checkbox"
              checked={draft['paused'] === true}
              onChange={(e) => onValue('/paused', e.currentTarget.checked ? true : undefined)}
            />{' '}
            Create it paused
          </label>
        </div>
      )}
    </>
  );
}

/** The id of a new job (an existing job's id is its address: it is not edited). */
function IdField({ draft, onValue }: Part) {
  return (
    <Field
      path="/id"
      label="Id"
      help="Letters, digits and . _ : - (up to 200); generated when empty."
    >
      {(attrs) => (
        <input
          {...attrs}
          class="mono"
          spellcheck={false}
          value={typeof draft['id'] === 'string' ? draft['id'] : ''}
          onInput={(e) =>
            onValue('/id', e.currentTarget.value === '' ? undefined : e.currentTarget.value)
          }
        />
      )}
    </Field>
  );
}

/** The policies, as the job schema describes them (open when any is set). */
function PolicyFields({ schema, draft, onValue }: Part) {
  const policies = Object.keys(schema.properties ?? {}).filter(
    (name) => !OWN_FIELDS.includes(name),
  );
  const properties = Object.fromEntries(
    policies.map((name) => [name, schema.properties?.[name] ?? {}]),
  );
  return (
    <details open={policies.some((name) => draft[name] !== undefined)}>
      <summary>Policies: retry, timeout, misfire, overlap, jitter, retention</summary>
      <SchemaFields schema={{ properties }} value={draft} base="" onValue={onValue} />
    </details>
  );
}

/** A target: its type, then the fields of that type's schema. */
function TargetFields(props: {
  path: string;
  legend: string;
  variants: Map<string, JsonSchema>;
  draft: Record<string, unknown>;
  onValue: SetValue;
  optional: boolean;
}) {
  const value = getAt(props.draft, props.path) as Record<string, unknown> | undefined;
  const type = typeof value?.['type'] === 'string' ? value['type'] : '';
  const variant = props.variants.get(type);
  return (
    <Group path={props.path} legend={props.legend}>
      <Field path={`${props.path}/type`} label="Type" required={!props.optional}>
        {(attrs) => (
          <select
            {...attrs}
            value={type}
            onChange={(e) =>
              props.onValue(
                props.path,
                e.currentTarget.value === '' ? undefined : { type: e.currentTarget.value },
              )
            }
          >
            {props.optional && <option value="">none</option>}
            {[...props.variants.keys()].map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        )}
      </Field>
      {variant && (
        <SchemaFields
          key={type}
          schema={variant}
          value={value}
          base={props.path}
          onValue={props.onValue}
          skip={['type']}
        />
      )}
    </Group>
  );
}
