/**
 * `zeroloss user add <name> --role R` (password from ZL_PASSWORD, else asked twice on the terminal
 * without echo), `zeroloss user list`, `zeroloss user passwd <name>`, `zeroloss user remove <name>`.
 * Works on the same database as the server (DATABASE_URL), and records each change in the audit log
 * with actor "cli".
 */
import os from 'node:os';
import readline from 'node:readline';
import { ensureSetup } from '../setup';
import { readServerEnvironment } from '../environment';
import { CreateUserInputSchema, SetPasswordInputSchema, UserRefInputSchema } from './auth.schema';
import { ROLES } from './roles';

export const USER_USAGE = `usage: zeroloss user add <name> --role ${ROLES.join('|')}
       zeroloss user passwd <name>
       zeroloss user remove <name>
       zeroloss user list

  The password comes from ZL_PASSWORD, or is asked twice on the terminal.`;

class UsageError extends Error {}

/** Reads a line from the terminal without echoing it (readline's output writer is silenced). */
function askHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError('no terminal to ask the password on: set ZL_PASSWORD');
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  process.stdout.write(question);
  (rl as unknown as { _writeToOutput(s: string): void })._writeToOutput = () => {};
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      process.stdout.write('\n');
      rl.close();
      resolve(answer);
    });
  });
}

async function password(): Promise<string> {
  const { ZL_PASSWORD } = readServerEnvironment('ZL_PASSWORD');
  if (ZL_PASSWORD !== undefined) return ZL_PASSWORD;
  const first = await askHidden('password: ');
  const second = await askHidden('again: ');
  if (first !== second) throw new UsageError('the two passwords differ');
  return first;
}

function issues(error: { issues: { message: string }[] }): string {
  return error.issues.map((i) => i.message).join('; ');
}

export async function userCommand(args: string[]): Promise<number> {
  const [sub, name] = args;
  if (!sub || sub === '--help') {
    console.log(USER_USAGE);
    return sub ? 0 : 2;
  }
  try {
    const { databaseUrl } = ensureSetup({ skipBuild: true });
    const [{ createPrisma }, { AuthService, AuthRuleError }, { AuditLog }] = await Promise.all([import('../db/prisma'), import('./auth-service'), import('./audit-log')]);
    const prisma = createPrisma(databaseUrl);
    const auth = new AuthService(prisma, { requireLogin: true });
    const audit = new AuditLog(prisma);
    const record = (action: string, input: unknown, after?: unknown) =>
      audit.record({ actor: 'cli', role: 'admin', action, target: name ? `user ${name}` : null, input, after, result: 'ok', remoteAddress: `cli (${os.userInfo().username})` });
    try {
      switch (sub) {
        case 'list': {
          const users = await auth.listUsers();
          if (users.length === 0) console.log('no users yet: zeroloss user add <name> --role admin');
          for (const u of users) console.log(`${u.name.padEnd(32)} ${u.role.padEnd(8)} ${u.lastLoginAt ? `last sign-in ${new Date(u.lastLoginAt).toISOString()}` : 'never signed in'}`);
          return 0;
        }
        case 'add': {
          const roleAt = args.indexOf('--role');
          const parsed = CreateUserInputSchema.safeParse({ name, role: roleAt >= 0 ? args[roleAt + 1] : undefined, password: await password() });
          if (!parsed.success) throw new UsageError(issues(parsed.error));
          const user = await auth.createUser(parsed.data);
          await record('users.create', { name: user.name, role: user.role }, { name: user.name, role: user.role });
          console.log(`user ${user.name} (${user.role}) added`);
          return 0;
        }
        case 'passwd': {
          const parsed = SetPasswordInputSchema.safeParse({ name, password: await password() });
          if (!parsed.success) throw new UsageError(issues(parsed.error));
          await auth.setPassword(parsed.data.name, parsed.data.password);
          await record('users.setPassword', { name });
          console.log(`password of ${name} changed; its sessions ended`);
          return 0;
        }
        case 'remove': {
          const parsed = UserRefInputSchema.safeParse({ name });
          if (!parsed.success) throw new UsageError(issues(parsed.error));
          await auth.removeUser(parsed.data.name);
          await record('users.remove', { name });
          console.log(`user ${name} removed`);
          return 0;
        }
        default:
          throw new UsageError(`unknown subcommand ${sub}`);
      }
    } catch (error) {
      if (error instanceof AuthRuleError) throw new UsageError(error.message);
      throw error;
    } finally {
      await prisma.$disconnect();
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n\n${USER_USAGE}`);
    return 2;
  }
}
