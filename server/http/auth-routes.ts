// Browser sign-in with OpenID Connect (not under /api; no API key):
//   GET  /auth/login?returnTo=   -> 302 to the provider; the login transaction's id in a Lax cookie
//   GET  /auth/callback          -> the provider's answer -> staff session cookie -> 302 to returnTo,
//                                   or 302 to /signed-out?error=<CODE> with no session cookie
//   POST /auth/logout            -> ends this browser's staff session; { redirect } says where to go
// The login cookie is SameSite=Lax, unlike the session cookies: the provider
// sends the browser back with a cross-site navigation, which a Strict cookie
// would not accompany. Without an `oidc` section the first two answer
// NOT_CONFIGURED; sign-out works either way (it ends a console-link session too).
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AppError } from '../core/errors.ts';
import { makeActor } from '../domain/actors.ts';
import { LOGIN_TTL_SECONDS, SIGNED_OUT_PATH, type SignInService } from '../domain/access/sign-in.ts';
import type { Actor, Session, StaffSession } from '../domain/model.ts';
import { clearedCookieOptions, CLINICIAN_COOKIE, cookieOptions, DEVICE_COOKIE } from '../edge/cookies.ts';
import { describeDevice } from '../edge/device.ts';
import { LoginQuery, SignedOut } from '../wire/auth.ts';
import { ERRORS } from './openapi.ts';

export const LOGIN_COOKIE = '__Host-cr_login';
const DEFAULT_RETURN = '/console';

export interface AuthRouteDeps {
  /** null: OpenID Connect is not configured. */
  signIn: SignInService | null;
  /** This browser's staff session (by its cookie), and ending one that has no provider behind it. */
  sessions: {
    get(cookie: string | undefined): Promise<Session | null>;
    signOut(session: StaffSession, actor: Actor): Promise<StaffSession | null>;
  };
  publicUrl: string;
  /** Per address, for /auth/login and /auth/callback (as POST /api/v1/session). */
  attemptsPerMinute: number;
}

const loginCookie = (maxAge?: number) => ({ httpOnly: true, secure: true, sameSite: 'lax' as const, path: '/', ...(maxAge ? { maxAge } : {}) });

/** Where a refused sign-in lands: our page, with the error's code (a fixed word; the page never shows it raw). */
const refusedAt = (code: string) => `${SIGNED_OUT_PATH}?error=${encodeURIComponent(code)}`;

export const authRoutes: FastifyPluginAsync<AuthRouteDeps> = async (base, deps) => {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const rateLimit = { max: deps.attemptsPerMinute, timeWindow: '1 minute' };
  const ctxOf = (req: FastifyRequest) => ({ credential: req.cookies[DEVICE_COOKIE], device: describeDevice(req.headers['user-agent']), address: req.ip });

  app.get(
    '/auth/login',
    { schema: { querystring: LoginQuery, response: { ...ERRORS } }, config: { rateLimit } },
    async (req, reply) => {
      const signIn = deps.signIn;
      if (!signIn) throw new AppError('NOT_CONFIGURED', 'Sign-in with an identity provider is not configured on this server.');
      try {
        const { url, loginId } = await signIn.begin(req.query.returnTo ?? DEFAULT_RETURN);
        reply.setCookie(LOGIN_COOKIE, loginId, loginCookie(LOGIN_TTL_SECONDS));
        return await reply.header('Cache-Control', 'no-store').redirect(url, 302);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
        req.log.warn({ code: e.code }, 'sign-in could not begin');
        return reply.redirect(refusedAt(e.code), 302);
      }
    },
  );

  app.get('/auth/callback', { schema: { response: { ...ERRORS } }, config: { rateLimit } }, async (req, reply) => {
    const signIn = deps.signIn;
    if (!signIn) throw new AppError('NOT_CONFIGURED', 'Sign-in with an identity provider is not configured on this server.');
    // The login is single use, so its cookie goes whatever happens next.
    reply.clearCookie(LOGIN_COOKIE, loginCookie());
    // Our own address with the parameters as they came (never the Host header).
    const url = new URL(req.url, deps.publicUrl);
    try {
      const { started, returnTo } = await signIn.complete(req.cookies[LOGIN_COOKIE], url, ctxOf(req));
      // A session this browser already had (another person at a shared desk, or the same one again) ends
      // now, rather than lingering unseen until it goes idle.
      const previous = await deps.sessions.get(req.cookies[CLINICIAN_COOKIE]);
      if (previous?.kind === 'clinician') await deps.sessions.signOut(previous, makeActor('staff', previous.clinicianId, req.ip));
      if (started.cookie) reply.setCookie(CLINICIAN_COOKIE, started.cookie, cookieOptions(started.ttlSeconds));
      reply.setCookie(DEVICE_COOKIE, started.device.credential, cookieOptions(started.device.ttlSeconds));
      return await reply.redirect(returnTo, 302);
    } catch (e) {
      if (!(e instanceof AppError)) {
        req.log.error({ err: e }, 'sign-in failed on the server');
        return reply.redirect(refusedAt('INTERNAL'), 302);
      }
      return reply.redirect(refusedAt(e.code), 302);
    }
  });

  app.post('/auth/logout', { schema: { response: { 200: SignedOut, ...ERRORS } } }, async (req, reply) => {
    const s = await deps.sessions.get(req.cookies[CLINICIAN_COOKIE]);
    reply.clearCookie(CLINICIAN_COOKIE, clearedCookieOptions());
    if (!s || s.kind !== 'clinician') return { redirect: SIGNED_OUT_PATH };
    if (deps.signIn) return deps.signIn.signOut(s, req.ip);
    await deps.sessions.signOut(s, makeActor('staff', s.clinicianId, req.ip));
    return { redirect: SIGNED_OUT_PATH };
  });
};
