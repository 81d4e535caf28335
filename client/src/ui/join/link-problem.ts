// Why the link did not work, kept for this tab only (sessionStorage): the
// token leaves the address bar at once, so a reload (a language switch) has no
// link to try again and would otherwise only say "open your link again". Only
// the error's code and details are kept, never the token.
import type { ProblemDetail } from '../messages.ts';

const KEY = 'consultroom.linkProblem';

export interface LinkProblem {
  code: string;
  details: ProblemDetail[];
}

/** Keeps the problem (null: forgets it, the link worked). Quietly nothing where storage is blocked. */
export function keepLinkProblem(problem: LinkProblem | null): void {
  try {
    if (problem) sessionStorage.setItem(KEY, JSON.stringify(problem));
    else sessionStorage.removeItem(KEY);
  } catch {
    // Blocked storage: a reload says "open your link again", which is still true.
  }
}

/** The kept problem, if it is one this page wrote (checked, not trusted). */
export function keptLinkProblem(): LinkProblem | null {
  let raw: unknown;
  try {
    raw = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
  } catch {
    return null;
  }
  if (!raw || typeof raw !== 'object') return null;
  const { code, details } = raw as { code?: unknown; details?: unknown };
  if (typeof code !== 'string' || !/^[A-Z_]{1,64}$/.test(code) || !Array.isArray(details) || details.length > 10) return null;
  const kept = details.filter((d): d is ProblemDetail => !!d && typeof d === 'object' && typeof (d as ProblemDetail).key === 'string' && typeof (d as ProblemDetail).problem === 'string');
  return { code, details: kept.map((d) => ({ key: d.key.slice(0, 64), problem: d.problem.slice(0, 200) })) };
}
