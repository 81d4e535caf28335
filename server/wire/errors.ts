// The error body every HTTP error response and every failed socket ack
// carries (AppError.toJSON()); the codes are core's error table.
import { Type, type Static } from 'typebox';
import { ERROR_CODES } from '../core/errors.ts';

/** One shared schema, "Error" in the OpenAPI document (registered by http/openapi.ts). */
export const ErrorBody = Type.Object(
  {
    code: Type.Enum([...ERROR_CODES], { description: 'a stable error code' }),
    message: Type.String({ description: 'safe to show to a person; no patient data, no stack' }),
    details: Type.Optional(
      Type.Array(Type.Object({ key: Type.String({ description: 'e.g. body.startsAt' }), problem: Type.String() }), {
        description: 'for BAD_REQUEST: the keys at fault',
      }),
    ),
  },
  { $id: 'Error', description: 'An error: code, message and, for a request not in the expected form, the keys at fault.' },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** A socket message's answer: its data, or the error body. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
