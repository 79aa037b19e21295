/**
 * Instants in the form: `<input type="datetime-local">` shows wall time in
 * the browser's zone; the definition holds ISO 8601 with an offset.
 */

/** The control's value for an instant ('' when none or unreadable). */
export function toLocalInput(iso: unknown): string {
  if (typeof iso !== 'string') return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 19);
}

/** The instant (ISO 8601 UTC) a control's wall time stands for, or undefined when empty. */
export function fromLocalInput(value: string): string | undefined {
  if (value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}
