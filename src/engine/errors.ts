/**
 * The engine's own errors. Only cli/ maps errors to exit codes: `bad-input` is something the user
 * must fix before a run can start (a target that refuses the schema, an unreachable host,
 * credentials), `failed` a run that could not go on.
 */
export class EngineError extends Error {
  override name = 'EngineError';
  constructor(message: string, readonly kind: 'bad-input' | 'failed' = 'bad-input') {
    super(message);
  }
}

/** A wait cut short by a stop (Ctrl-C, SIGTERM, a target gone): not an error the user must see. */
export class StoppedError extends Error {
  override name = 'StoppedError';
}
