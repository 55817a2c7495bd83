/** The tRPC context of one HTTP request: the lab's parts (server/lab.ts), and who is calling from where. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Lab } from '../lab';
import { AuditNote } from '../auth/audit-log';
import { TOKEN_COOKIE } from '../auth/credentials';
import { remoteAddressOf, sessionCookie, setCookie, type Security } from '../auth/security';
import type { Context } from './trpc';

export async function createRequestContext(lab: Lab, security: Security, req: IncomingMessage, res: ServerResponse): Promise<Context> {
  const who = await security.auth.resolve(req);
  return {
    controlPlane: lab.controlPlane,
    drillRunner: lab.drillRunner,
    simulator: lab.simulator,
    external: lab.external,
    messageConsole: lab.messageConsole,
    security,
    principal: 'principal' in who ? who.principal : null,
    authFailure: 'failure' in who ? who.failure.reason : null,
    originProblem: security.originProblem(req),
    remoteAddress: remoteAddressOf(req),
    audit: new AuditNote(),
    setCookie: (cookie) => setCookie(res, cookie),
    setHeader: (name, value) => res.setHeader(name, value),
    sessionCookie: (value, maxAgeSeconds) => sessionCookie(req, value, maxAgeSeconds),
    tokenCookie: (value, maxAgeSeconds) => sessionCookie(req, value, maxAgeSeconds, TOKEN_COOKIE),
  };
}
