/** The exit code of `chime apply --exit-code` when it finds drift. */
export const EXIT_DRIFT = 6;

/**
 * Ends a command with this exit code and no further message: what the
 * command had to say it has printed (`apply --exit-code` on drift).
 */
export class ExitCode extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'ExitCode';
  }
}
