// The shape of every random id (core/ids.ts randomId), apart from the code
// that makes them: the wire schemas use it, and they are read by the browser
// client's type checker, which has no Node modules.

/** The shape every random id has; anything else is refused before a store lookup. */
export const ID_PATTERN = '^[A-Za-z0-9_-]{22}$';
const ID_RE = new RegExp(ID_PATTERN);

/** The one id check: true for a string of the shape `randomId` makes (the caller names the brand). */
export const isId = <T extends string = string>(value: unknown): value is T => typeof value === 'string' && ID_RE.test(value);

/** A node's name among the nodes on one Redis (NODE_ID; config/schema.ts spells it out, as config imports no server code). */
export const NODE_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$';
const NODE_ID_RE = new RegExp(NODE_ID_PATTERN);

/** True for a node's name: safe as a file name (no separator, never '.' or '..'). */
export const isNodeId = (value: unknown): boolean => typeof value === 'string' && NODE_ID_RE.test(value);
