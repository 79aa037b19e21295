/** What a secret field's help says: the service shows secrets as [redacted], and keeps them so. */
export const REDACTED_HINT =
  'Secret: shown as [redacted]; leave [redacted] to keep the stored value, or type a new one.';
