import { createContext, type ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';

/**
 * The form's error messages by the field that shows them. The API blames a
 * field by its JSON Pointer `path`; the form places each message at the
 * element whose id is {@link fieldId} of that path, or of its nearest
 * ancestor that is on the page (a group such as the metadata).
 */
export const FieldErrors = createContext<ReadonlyMap<string, readonly string[]>>(new Map());

/** The element id of the field (or group) a JSON Pointer names. */
export function fieldId(path: string): string {
  return `field${path.replace(/[^A-Za-z0-9_-]/g, (c) => `-${c.charCodeAt(0).toString(16)}-`)}`;
}

/** The messages shown at a field. */
export function useFieldErrors(path: string): readonly string[] {
  return useContext(FieldErrors).get(path) ?? [];
}

/** A labelled control with its help text and its errors, tied together for screen readers. */
export function Field(props: {
  path: string;
  label: string;
  help?: string | undefined;
  required?: boolean | undefined;
  children: (attrs: ControlAttributes) => ComponentChildren;
}) {
  const id = fieldId(props.path);
  const errors = useFieldErrors(props.path);
  const described = [props.help ? `${id}-help` : '', errors.length > 0 ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div class={`field${errors.length > 0 ? ' invalid' : ''}`}>
      <label for={id}>
        {props.label}
        {props.required && <span class="required"> (required)</span>}
      </label>
      {props.children({
        id,
        'aria-describedby': described === '' ? undefined : described,
        'aria-invalid': errors.length > 0,
        required: props.required,
      })}
      {props.help && (
        <p class="help" id={`${id}-help`}>
          {props.help}
        </p>
      )}
      <FieldMessages id={`${id}-error`} errors={errors} />
    </div>
  );
}

/** The attributes a control gets from its {@link Field}. */
export interface ControlAttributes {
  id: string;
  'aria-describedby': string | undefined;
  'aria-invalid': boolean;
  required: boolean | undefined;
}

/** Error messages under a field or group. */
export function FieldMessages({ id, errors }: { id: string; errors: readonly string[] }) {
  if (errors.length === 0) return null;
  return (
    <p class="field-error" id={id}>
      {errors.join(' ')}
    </p>
  );
}

/** A group of fields (an object of the definition) that shows errors no inner field claims. */
export function Group(props: {
  path: string;
  legend: string;
  children: ComponentChildren;
  help?: string;
}) {
  const id = fieldId(props.path);
  const errors = useFieldErrors(props.path);
  return (
    <fieldset id={id} class={errors.length > 0 ? 'invalid' : undefined} tabIndex={-1}>
      <legend>{props.legend}</legend>
      {props.help && <p class="help">{props.help}</p>}
      <FieldMessages id={`${id}-error`} errors={errors} />
      {props.children}
    </fieldset>
  );
}
