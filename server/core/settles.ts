// Waiting for something with a bound: shutdown steps that must not hang the
// process (HTTP connections that died silently, worker processes exiting).

/** True if `p` settled (resolved or rejected) within `ms`; false when the time ran out first. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true as const, () => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
