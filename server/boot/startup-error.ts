// A reason the server refuses to start (unreadable keys, unreachable Redis,
// workers that would not spawn): main.ts prints its message and exits, with
// no stack, because the fix is in the operator's configuration.
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
