/**
 * Runs a synchronous store operation and hands back its result as a promise;
 * a throw becomes a rejection, as it would from a store with I/O. The
 * operation runs to completion before anything else does, which is what makes
 * the memory stores' read-check-write steps atomic.
 */
export const settle = <T>(operation: () => T): Promise<T> => new Promise<T>((resolve) => resolve(operation()));
