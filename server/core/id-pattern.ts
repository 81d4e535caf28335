// The shape of every random id (core/ids.ts randomId), apart from the code
// that makes them: the wire schemas use it, and they are read by the browser
// client's type checker, which has no Node modules.

/** The shape every random id has; anything else is refused before a store lookup. */
export const ID_PATTERN = '^[A-Za-z0-9_-]{22}$';
const ID_RE = new RegExp(ID_PATTERN);

/** The one id check: true for a string of the shape `randomId` makes (the caller names the brand). */
export const isId = <T extends string = string>(value: unknown): value is T => typeof value === 'string' && ID_RE.test(value);
