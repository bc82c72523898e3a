/** Process exit codes: a public contract for CI scripts. Only cli/ maps errors to them. */
import { CqlError } from '../cql/errors.js';
import { InputError } from '../profile/errors.js';

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

/**
 * The exit code of an error that ended a command, or undefined for a bug (printed as an
 * internal error). Profile and flag errors are bad input; so is a CQL error, since the
 * statement or the target came from the user.
 */
export function exitCodeOf(e: unknown): number | undefined {
  if (e instanceof UserError) return e.exitCode;
  if (e instanceof InputError || e instanceof CqlError) return ExitCode.BAD_INPUT;
  return undefined;
}
