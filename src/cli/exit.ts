/** Process exit codes: a public contract for CI scripts. */
export const ExitCode = {
  OK: 0,
  /** The run completed but failed its checks (SLOs, gate, doctor findings). */
  CHECKS_FAILED: 1,
  /** Bad input: flags, profile, unreachable target, refused credentials. */
  BAD_INPUT: 2,
} as const;

/** An error meant for the user: printed as one line, never with a stack trace. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(message: string, readonly exitCode: number = ExitCode.BAD_INPUT) {
    super(message);
  }
}
