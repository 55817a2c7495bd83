/** auth.*, users.*, tokens.*: sign-in and sign-out, the users (admin) and the API tokens (admin). */
import { TRPCError } from '@trpc/server';
import { AuthRuleError, LoginThrottledError, WRONG_LOGIN } from '../auth/auth-service';
import {
  CreateTokenInputSchema, CreateUserInputSchema, LoginInputSchema, TokenLoginInputSchema, SetPasswordInputSchema, SetRoleInputSchema, TokenRefInputSchema, UserRefInputSchema,
} from '../auth/auth.schema';
import { ROLE_ABILITIES, ROLES } from '../auth/roles';
import { SESSION_TTL_MS } from '../auth/credentials';
import { adminProcedure, publicProcedure, noInput, router } from './trpc';
import { ConfirmSchema, requireConfirmation } from './confirm';

async function rules<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AuthRuleError) throw new TRPCError({ code: error.code, message: error.message });
    throw error;
  }
}

export const authRouter = router({
  /** Who the dashboard is talking to; never fails, so the login page can tell why nobody is signed in. */
  me: publicProcedure.input(noInput).query(({ ctx }) => {
    const requireLogin = ctx.security.auth.requireLogin;
    if (!ctx.principal) return { signedIn: false as const, reason: ctx.authFailure ?? 'sign in first', requireLogin };
    const { name, role, via } = ctx.principal;
    return { signedIn: true as const, user: name, role, via, requireLogin };
  }),
  roles: publicProcedure.input(noInput).query(() => ROLES.map((role) => ({ role, abilities: ROLE_ABILITIES[role] }))),
  /** A right name and password gets a session cookie; anything else the same sentence, after a delay. */
  login: publicProcedure.input(LoginInputSchema).mutation(async ({ ctx, input }) => {
    // The name is the caller's claim until the password proves it: the actor of a refused sign-in is
    // anonymous, the claimed name its target.
    ctx.audit.actor = 'anonymous';
    ctx.audit.role = null;
    ctx.audit.target = `user ${input.name}`;
    let session: Awaited<ReturnType<typeof ctx.security.auth.login>>;
    try {
      session = await ctx.security.auth.login(input.name, input.password, ctx.remoteAddress);
    } catch (error) {
      if (!(error instanceof LoginThrottledError)) throw error;
      ctx.setHeader('retry-after', String(Math.ceil(error.retryAfterMs / 1000)));
      throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: error.message });
    }
    if (!session) throw new TRPCError({ code: 'UNAUTHORIZED', message: WRONG_LOGIN });
    ctx.audit.actor = session.principal.name;
    ctx.audit.role = session.principal.role;
    ctx.setCookie(ctx.sessionCookie(session.sessionId, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000)));
    return { user: session.principal.name, role: session.principal.role, expiresAt: session.expiresAt.getTime() };
  }),
  /**
   * An API token (or the admin token printed at start) signs this browser in: the token goes into an
   * httpOnly cookie, so scripts on the page never see it; it works as long as the token is not revoked.
   */
  loginWithToken: publicProcedure.input(TokenLoginInputSchema).mutation(async ({ ctx, input }) => {
    ctx.audit.actor = '(token)';
    ctx.audit.role = null;
    const principal = await ctx.security.auth.checkToken(input.token);
    if (!principal) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'token: unknown, revoked or malformed' });
    ctx.audit.actor = principal.name;
    ctx.audit.role = principal.role;
    ctx.audit.target = principal.name;
    ctx.setCookie(ctx.tokenCookie(input.token, Math.floor(SESSION_TTL_MS / 1000)));
    return { user: principal.name, role: principal.role };
  }),
  /** Ends this browser's session (if it has one) and clears the cookies. */
  logout: publicProcedure.input(noInput).mutation(async ({ ctx }) => {
    const hash = ctx.principal?.sessionHash;
    if (hash) await ctx.security.auth.logout(hash);
    ctx.setCookie(ctx.sessionCookie('', 0));
    ctx.setCookie(ctx.tokenCookie('', 0));
    return { ok: true, endedSession: Boolean(hash) };
  }),
});

export const usersRouter = router({
  list: adminProcedure.input(noInput).query(({ ctx }) => ctx.security.auth.listUsers()),
  create: adminProcedure.input(CreateUserInputSchema).mutation(({ ctx, input }) => rules(async () => {
    const user = await ctx.security.auth.createUser(input);
    ctx.audit.after = { name: user.name, role: user.role };
    return user;
  })),
  setRole: adminProcedure.input(SetRoleInputSchema).mutation(({ ctx, input }) => rules(async () => {
    if (ctx.principal.via === 'session' && ctx.principal.name === input.name) {
      throw new AuthRuleError('BAD_REQUEST', 'name: you cannot change your own role (ask another admin)');
    }
    const before = await ctx.security.auth.setRole(input.name, input.role);
    ctx.audit.before = { role: before };
    ctx.audit.after = { role: input.role };
    return { name: input.name, role: input.role };
  })),
  setPassword: adminProcedure.input(SetPasswordInputSchema).mutation(({ ctx, input }) => rules(async () => {
    await ctx.security.auth.setPassword(input.name, input.password);
    return { ok: true };
  })),
  remove: adminProcedure.input(UserRefInputSchema.extend({ confirm: ConfirmSchema })).mutation(({ ctx, input }) => rules(async () => {
    requireConfirmation(input.confirm, input.name);
    if (ctx.principal.name === input.name && ctx.principal.via === 'session') throw new AuthRuleError('BAD_REQUEST', 'name: you cannot remove yourself');
    const role = await ctx.security.auth.removeUser(input.name);
    ctx.audit.before = { name: input.name, role };
    return { ok: true };
  })),
});

export const tokensRouter = router({
  list: adminProcedure.input(noInput).query(({ ctx }) => ctx.security.auth.listTokens()),
  /** The token is in this answer once; only its hash is kept. */
  create: adminProcedure.input(CreateTokenInputSchema).mutation(({ ctx, input }) => rules(async () => {
    const created = await ctx.security.auth.createToken({ ...input, createdBy: ctx.principal.name });
    ctx.audit.after = { id: created.view.id, name: created.view.name, role: created.view.role };
    return created;
  })),
  revoke: adminProcedure.input(TokenRefInputSchema.extend({ confirm: ConfirmSchema })).mutation(({ ctx, input }) => rules(async () => {
    const token = (await ctx.security.auth.listTokens()).find((t) => t.id === input.id);
    if (token) requireConfirmation(input.confirm, token.name);
    const view = await ctx.security.auth.revokeToken(input.id);
    ctx.audit.target = `token ${view.name}`;
    return view;
  })),
});
