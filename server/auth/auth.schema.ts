/** The inputs of sign-in, users and API tokens: one zod schema each, shared by the routers and the CLI. */
import { z } from 'zod';
import { ROLES } from './roles';

/** Names the server uses for callers that are not users; nobody may take them. */
export const RESERVED_NAMES = ['local', 'anonymous', 'admin-token', 'cli'];

export const RoleSchema = z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` });

export const UserNameSchema = z.string({ error: 'name must be a user name' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'name must be 1-32 characters of letters, digits, ".", "_" or "-", starting with a letter or digit')
  .refine((n) => !RESERVED_NAMES.includes(n.toLowerCase()), `name must not be one of ${RESERVED_NAMES.join(', ')} (the server's own callers)`);

/** bcrypt reads at most 72 bytes: a longer password would be cut silently, so it is refused. */
export const PasswordSchema = z.string({ error: 'password must be text' })
  .min(8, 'password must be at least 8 characters')
  .refine((p) => Buffer.byteLength(p, 'utf8') <= 72, 'password must be at most 72 bytes (bcrypt ignores the rest)');

export const LoginInputSchema = z.object({
  name: z.string({ error: 'name must be a user name' }).max(64, 'name must be at most 64 characters'),
  password: z.string({ error: 'password must be text' }).max(200, 'password must be at most 200 characters'),
}).strict();

export const TokenLoginInputSchema = z.object({
  token: z.string({ error: 'token must be an API token (zl_…)' }).trim().min(1, 'token must not be empty').max(200, 'token must be at most 200 characters'),
}).strict();

export const CreateUserInputSchema = z.object({ name: UserNameSchema, password: PasswordSchema, role: RoleSchema }).strict();
export const SetRoleInputSchema = z.object({ name: UserNameSchema, role: RoleSchema }).strict();
export const SetPasswordInputSchema = z.object({ name: UserNameSchema, password: PasswordSchema }).strict();
export const UserRefInputSchema = z.object({ name: UserNameSchema }).strict();

export const TokenNameSchema = z.string({ error: 'name must say what the token is for' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,47}$/, 'name must be 1-48 characters of letters, digits, spaces, ".", "_" or "-"');
export const CreateTokenInputSchema = z.object({ name: TokenNameSchema, role: RoleSchema }).strict();
export const TokenRefInputSchema = z.object({ id: z.number({ error: 'id must be a token number' }).int('id must be a whole number').positive('id must be positive') }).strict();
