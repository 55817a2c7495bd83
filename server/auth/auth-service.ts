/**
 * Who a request is, and the records that decide it: users (bcrypt password hashes), sessions and
 * API tokens (SHA-256 hashes of random secrets), all through Prisma.
 *
 * The policy (docs/security.md):
 * - a presented credential (session cookie or bearer token) that is malformed, unknown, revoked or
 *   expired resolves to nobody, also on loopback: it never falls back to the local user;
 * - a loopback request without credential, sent to a loopback Host name, is the built-in "local"
 *   admin, unless login is required (ZL_AUTH=required);
 * - anything else resolves to nobody (401).
 * A wrong password and an unknown user answer alike, after the same delay: no user enumeration.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PrismaClient } from '@prisma/client';
import { ROLES, type Role } from './roles';
import { newSessionId, newToken, secretsEqual, sha256Hex, SESSION_ID_PATTERN, SESSION_TTL_MS, TOKEN_PATTERN } from './credentials';
import type { AuthFailure, Principal } from './principal';
import { isLoopbackAddress, isLoopbackHost, presentedCredential } from './request-auth';
import { PasswordHasher } from './password-hasher';
import { LoginThrottle, loginThrottleKeys, type LoginThrottleOptions } from './login-throttle';

const BCRYPT_ROUNDS = 10;
/** a failed sign-in answers after this (plus up to 250 ms of jitter) */
const LOGIN_FAILURE_DELAY_MS = 600;
/** lastUsedAt of a token is written at most this often */
const TOKEN_TOUCH_INTERVAL_MS = 60_000;

export const WRONG_LOGIN = 'wrong user name or password';

export interface AuthOptions {
  /** ZL_AUTH=required: a loopback request needs a credential too */
  requireLogin: boolean;
  /** ZL_ADMIN_TOKEN, or the one generated at start when bound beyond loopback */
  adminToken?: string;
  sessionTtlMs?: number;
  loginFailureDelayMs?: number;
  /** sign-in throttling (server/auth/login-throttle.ts); its defaults when left out */
  loginThrottle?: LoginThrottleOptions;
}

/** A sign-in refused unchecked: too many recent failures from this address or for this name. */
export class LoginThrottledError extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`too many failed sign-ins from this address or for this name: try again in ${Math.ceil(retryAfterMs / 1000)} s`);
  }
}

/** A rule of users and tokens the caller broke; routers turn `code` into the tRPC code. */
export class AuthRuleError extends Error {
  constructor(readonly code: 'CONFLICT' | 'NOT_FOUND' | 'BAD_REQUEST', message: string) {
    super(message);
  }
}

export interface UserView { id: number; name: string; role: Role; createdAt: number; lastLoginAt: number | null; sessions: number }
export interface TokenView { id: number; name: string; role: Role; createdBy: string; createdAt: number; lastUsedAt: number | null; revokedAt: number | null }

type Resolved = { principal: Principal } | { failure: AuthFailure };

const asRole = (role: string): Role => ((ROLES as readonly string[]).includes(role) ? (role as Role) : 'viewer');

export class AuthService {
  /** The user whose password this is; null for a wrong password or an unknown name. */
  private async verifiedUser(name: string, password: string) {
    const user = await this.prisma.user.findUnique({ where: { name } });
    // An unknown user costs a bcrypt comparison too, so timing does not tell which names exist.
    const ok = await this.hasher.compare(password, user?.passwordHash ?? (await this.dummy()));
    return user && ok ? user : null;
  }

  private dummyHash: Promise<string> | undefined;
  private readonly tokenTouchedAt = new Map<number, number>();
  private readonly hasher = new PasswordHasher();
  private readonly throttle: LoginThrottle;

  constructor(private readonly prisma: PrismaClient, readonly options: AuthOptions) {
    this.throttle = new LoginThrottle(options.loginThrottle);
  }

  get requireLogin(): boolean {
    return this.options.requireLogin;
  }

  /** Who sent this request (see the policy above). */
  async resolve(req: Pick<IncomingMessage, 'headers' | 'socket'>): Promise<Resolved> {
    const credential = presentedCredential(req);
    switch (credential.kind) {
      case 'malformed':
        return { failure: { reason: credential.why } };
      case 'bearer':
        return this.resolveToken(credential.value);
      case 'session':
        return this.resolveSession(credential.value);
      case 'none': {
        if (this.options.requireLogin) return { failure: { reason: 'sign in first (ZL_AUTH=required)' } };
        if (!isLoopbackAddress(req.socket.remoteAddress)) return { failure: { reason: 'sign in first, or send Authorization: Bearer <token> (only loopback clients are trusted without one)' } };
        // A loopback socket with a foreign Host is a DNS-rebinding page in the user's own browser.
        if (!isLoopbackHost(req.headers.host)) return { failure: { reason: `host ${req.headers.host ?? '(none)'} is not a loopback name: sign in first` } };
        return { principal: { name: 'local', role: 'admin', via: 'local' } };
      }
    }
  }

  private async resolveToken(token: string): Promise<Resolved> {
    if (this.options.adminToken && secretsEqual(token, this.options.adminToken)) return { principal: { name: 'admin-token', role: 'admin', via: 'admin-token' } };
    if (!TOKEN_PATTERN.test(token)) return { failure: { reason: 'the bearer token is malformed (an API token is zl_ and 43 characters)' } };
    const row = await this.prisma.apiToken.findUnique({ where: { tokenHash: sha256Hex(token) } });
    if (!row || row.revokedAt) return { failure: { reason: 'the bearer token is unknown or revoked' } };
    const now = Date.now();
    if (now - (this.tokenTouchedAt.get(row.id) ?? 0) > TOKEN_TOUCH_INTERVAL_MS) {
      this.tokenTouchedAt.set(row.id, now);
      await this.prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
    }
    return { principal: { name: `token:${row.name}`, role: asRole(row.role), via: 'token' } };
  }

  private async resolveSession(sessionId: string): Promise<Resolved> {
    if (!SESSION_ID_PATTERN.test(sessionId)) return { failure: { reason: 'the session cookie is malformed: sign in again' } };
    const idHash = sha256Hex(sessionId);
    const session = await this.prisma.session.findUnique({ where: { idHash }, include: { user: true } });
    if (!session) return { failure: { reason: 'the session is unknown (signed out, or the user was removed): sign in again' } };
    if (session.expiresAt.getTime() <= Date.now()) {
      await this.prisma.session.deleteMany({ where: { idHash } });
      return { failure: { reason: 'the session expired: sign in again' } };
    }
    return { principal: { name: session.user.name, role: asRole(session.user.role), via: 'session', userId: session.userId, sessionHash: idHash } };
  }

  /** Who an API token (or the admin token) is; null, after the sign-in delay, when it is nobody. */
  async checkToken(token: string): Promise<Principal | null> {
    const who = await this.resolveToken(token);
    if ('principal' in who) return who.principal;
    await sleep((this.options.loginFailureDelayMs ?? LOGIN_FAILURE_DELAY_MS) + randomInt(0, 250));
    return null;
  }

  /**
   * A new session for a right name and password; null (after a delay) for anything else. Throws
   * LoginThrottledError, before comparing anything, while this address or name must wait.
   */
  async login(name: string, password: string, remoteAddress: string): Promise<{ principal: Principal; sessionId: string; expiresAt: Date } | null> {
    const keys = loginThrottleKeys(remoteAddress, name);
    const wait = this.throttle.admit(keys);
    if (wait > 0) throw new LoginThrottledError(wait);
    const user = await this.verifiedUser(name, password).catch((error: unknown) => {
      this.throttle.abandoned(keys);
      throw error;
    });
    if (!user) {
      this.throttle.failed(keys);
      await sleep((this.options.loginFailureDelayMs ?? LOGIN_FAILURE_DELAY_MS) + randomInt(0, 250));
      return null;
    }
    this.throttle.succeeded(keys);
    const sessionId = newSessionId();
    const idHash = sha256Hex(sessionId);
    const now = Date.now();
    const expiresAt = new Date(now + (this.options.sessionTtlMs ?? SESSION_TTL_MS));
    await this.prisma.$transaction([
      this.prisma.session.deleteMany({ where: { expiresAt: { lte: new Date(now) } } }),
      this.prisma.session.create({ data: { idHash, userId: user.id, expiresAt, remoteAddress } }),
      this.prisma.user.update({ where: { id: user.id }, data: { lastLoginAt: new Date(now) } }),
    ]);
    return { principal: { name: user.name, role: asRole(user.role), via: 'session', userId: user.id, sessionHash: idHash }, sessionId, expiresAt };
  }

  async logout(sessionHash: string): Promise<void> {
    await this.prisma.session.deleteMany({ where: { idHash: sessionHash } });
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.hasher.hash(newToken(), BCRYPT_ROUNDS);
    return this.dummyHash;
  }

  // ---- users ----

  async listUsers(): Promise<UserView[]> {
    const now = new Date();
    const users = await this.prisma.user.findMany({ orderBy: { name: 'asc' }, include: { _count: { select: { sessions: { where: { expiresAt: { gt: now } } } } } } });
    return users.map((u) => ({ id: u.id, name: u.name, role: asRole(u.role), createdAt: u.createdAt.getTime(), lastLoginAt: u.lastLoginAt?.getTime() ?? null, sessions: u._count.sessions }));
  }

  async createUser(input: { name: string; password: string; role: Role }): Promise<UserView> {
    if (await this.prisma.user.findUnique({ where: { name: input.name } })) throw new AuthRuleError('CONFLICT', `name: a user ${input.name} exists already`);
    const passwordHash = await this.hasher.hash(input.password, BCRYPT_ROUNDS);
    const u = await this.prisma.user.create({ data: { name: input.name, passwordHash, role: input.role } });
    return { id: u.id, name: u.name, role: input.role, createdAt: u.createdAt.getTime(), lastLoginAt: null, sessions: 0 };
  }

  /** Returns the role before the change. */
  async setRole(name: string, role: Role): Promise<Role> {
    const user = await this.existingUser(name);
    await this.prisma.user.update({ where: { id: user.id }, data: { role } });
    return asRole(user.role);
  }

  /** A new password ends every session of the user. */
  async setPassword(name: string, password: string): Promise<void> {
    const user = await this.existingUser(name);
    const passwordHash = await this.hasher.hash(password, BCRYPT_ROUNDS);
    await this.prisma.$transaction([
      this.prisma.user.update({ where: { id: user.id }, data: { passwordHash } }),
      this.prisma.session.deleteMany({ where: { userId: user.id } }),
    ]);
  }

  /** Removes the user and (by cascade) its sessions; returns its role. */
  async removeUser(name: string): Promise<Role> {
    const user = await this.existingUser(name);
    await this.prisma.user.delete({ where: { id: user.id } });
    return asRole(user.role);
  }

  private async existingUser(name: string) {
    const user = await this.prisma.user.findUnique({ where: { name } });
    if (!user) throw new AuthRuleError('NOT_FOUND', `name: no user ${name}`);
    return user;
  }

  // ---- API tokens ----

  async listTokens(): Promise<TokenView[]> {
    const rows = await this.prisma.apiToken.findMany({ orderBy: [{ revokedAt: 'asc' }, { createdAt: 'desc' }] });
    return rows.map(tokenView);
  }

  /** The token itself is in the answer once and nowhere else. */
  async createToken(input: { name: string; role: Role; createdBy: string }): Promise<{ token: string; view: TokenView }> {
    if (await this.prisma.apiToken.findFirst({ where: { name: input.name, revokedAt: null } })) {
      throw new AuthRuleError('CONFLICT', `name: a token named ${input.name} exists already (revoke it first)`);
    }
    const token = newToken();
    const row = await this.prisma.apiToken.create({ data: { name: input.name, role: input.role, createdBy: input.createdBy, tokenHash: sha256Hex(token) } });
    return { token, view: tokenView(row) };
  }

  async revokeToken(id: number): Promise<TokenView> {
    const row = await this.prisma.apiToken.findUnique({ where: { id } });
    if (!row) throw new AuthRuleError('NOT_FOUND', `id: no token ${id}`);
    if (row.revokedAt) throw new AuthRuleError('BAD_REQUEST', `id: token ${row.name} is revoked already`);
    return tokenView(await this.prisma.apiToken.update({ where: { id }, data: { revokedAt: new Date() } }));
  }
}

function tokenView(row: { id: number; name: string; role: string; createdBy: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null }): TokenView {
  return { id: row.id, name: row.name, role: asRole(row.role), createdBy: row.createdBy, createdAt: row.createdAt.getTime(), lastUsedAt: row.lastUsedAt?.getTime() ?? null, revokedAt: row.revokedAt?.getTime() ?? null };
}
