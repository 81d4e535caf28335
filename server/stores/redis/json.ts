// Records are stored as JSON strings; these read them back.

/** Parses a stored record; null for a missing key. */
export const parseRecord = <T>(raw: string | null | undefined): T | null =>
  raw === null || raw === undefined ? null : (JSON.parse(raw) as T);

/** Parses the live records of an MGET reply in order, skipping keys that expired. */
export function parseRecords<T>(raws: readonly (string | null)[]): T[] {
  const out: T[] = [];
  for (const raw of raws) {
    const record = parseRecord<T>(raw);
    if (record !== null) out.push(record);
  }
  return out;
}
