// The ids and times every wire shape uses, declared once. The id pattern
// itself is core's (ID_PATTERN, the shape randomId makes).
import { Type } from 'typebox';
import { ID_PATTERN } from '../core/id-pattern.ts';

/** One of our random ids (22 base64url characters); anything else is refused before a store lookup. */
export const Id = (description = 'an id') => Type.String({ pattern: ID_PATTERN, description });

/**
 * An id as a socket message carries it: ours, or one of mediasoup's (UUIDs).
 * The shape check only bounds its size and characters; the handler looks it up
 * and answers as for any unknown id.
 */
export const Ref = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'an id' });

/** An ISO 8601 date-time, as the server writes them (UTC). */
export const Time = (description?: string) => Type.String({ format: 'date-time', ...(description ? { description } : {}) });
