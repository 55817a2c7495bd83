/**
 * RocketMQ's request signature (ACL 1.0 of 4.x and the remoting side of 5.x's ACL 2.0 use the same):
 * the client adds `AccessKey` (and `SecurityToken` when it has one) to the request's extFields, sorts
 * every extField by name, concatenates their values (without `Signature`) as UTF-8, appends the body,
 * and sends the HMAC-SHA1 of that, base64, as `Signature` (R/acl/common/AclClientRPCHook.java,
 * AclUtils.combineRequestContent, AclSigner). The broker recomputes it with the secret it holds.
 *
 * ali-ons signs the same way and adds `OnsChannel` first; it is one more extField in the content.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { EnvironmentError, readChildConfig } from '../config/environment.js';
import { ResponseCode } from '../protocol/codes.js';
import type { RemotingCommand } from '../protocol/remoting-command.js';

export const AclField = { ACCESS_KEY: 'AccessKey', SECURITY_TOKEN: 'SecurityToken', SIGNATURE: 'Signature' } as const;

/** RocketMQ's SessionCredentials: what a client signs with. */
export interface SessionCredentials {
  accessKey: string;
  secretKey: string;
  securityToken?: string;
}

export const SessionCredentialsSchema = z.object({
  accessKey: z.string().trim().min(1, 'accessKey must not be empty').max(256, 'accessKey must be at most 256 characters'),
  secretKey: z.string().min(1, 'secretKey must not be empty').max(1024, 'secretKey must be at most 1024 characters'),
  securityToken: z.string().max(4096, 'securityToken must be at most 4096 characters').optional(),
});

/** The account a parent handed this child in ZL_SESSION_CREDENTIALS, or undefined (no ACL). */
export function childSessionCredentials(): SessionCredentials | undefined {
  const raw = readChildConfig('ZL_SESSION_CREDENTIALS');
  if (raw === undefined) return undefined;
  const parsed = SessionCredentialsSchema.safeParse(raw);
  if (!parsed.success) throw new EnvironmentError(`ZL_SESSION_CREDENTIALS: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** The variable that hands a child `credentials` (read back by childSessionCredentials); nothing without an account. */
export function sessionCredentialsEnvironment(credentials: SessionCredentials | undefined): { ZL_SESSION_CREDENTIALS?: string } {
  return credentials ? { ZL_SESSION_CREDENTIALS: JSON.stringify(credentials) } : {};
}

/**
 * The extField values sorted by name, Signature left out: the text the body follows in the signed
 * content. Java's TreeMap<String> order is UTF-16 code units, which is what sort() compares.
 */
function signedFields(request: RemotingCommand): string {
  const fields = request.extFields ?? {};
  let text = '';
  for (const key of Object.keys(fields).sort()) {
    const value = fields[key];
    // Java reads extFields as strings: a raw JSON number or boolean (ali-ons) is its text; null is no field.
    if (key !== AclField.SIGNATURE && value !== null && value !== undefined) text += String(value);
  }
  return text;
}

/** A request's signed content: extField values sorted by name (Signature left out), then the body. */
export function signedContent(request: RemotingCommand): Buffer {
  const head = Buffer.from(signedFields(request), 'utf8');
  return request.body && request.body.length > 0 ? Buffer.concat([head, request.body]) : head;
}

/** HMAC-SHA1 of the signed content with the secret key, base64 (AclSigner.calSignature); the body is hashed in place, not copied. */
function signatureOf(request: RemotingCommand, secretKey: string): string {
  const hmac = createHmac('sha1', secretKey).update(signedFields(request), 'utf8');
  if (request.body && request.body.length > 0) hmac.update(request.body);
  return hmac.digest('base64');
}

/** Adds AccessKey (and SecurityToken), then the Signature over every field: AclClientRPCHook.doBeforeRequest. */
export function signRequest(request: RemotingCommand, credentials: SessionCredentials): void {
  const fields = (request.extFields ??= {});
  fields[AclField.ACCESS_KEY] = credentials.accessKey;
  if (credentials.securityToken !== undefined) fields[AclField.SECURITY_TOKEN] = credentials.securityToken;
  delete fields[AclField.SIGNATURE];
  fields[AclField.SIGNATURE] = signatureOf(request, credentials.secretKey);
}

/** Whether `signature` is the request's, compared in constant time. */
export function signatureMatches(request: RemotingCommand, secretKey: string, signature: string | undefined): boolean {
  if (signature === undefined) return false;
  const expected = Buffer.from(signatureOf(request, secretKey));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Whether a broker's refusal is its ACL's: 5.x answers NO_PERMISSION with the reason; 4.x answers
 * SYSTEM_ERROR with the AclException's text (NettyRemotingAbstract, RemotingHelper.exceptionSimpleDesc).
 * `text` is the answer's remark, or an error message that quotes it.
 */
export function isAclRefusal(responseCode: number | undefined, text: string): boolean {
  return responseCode === ResponseCode.NO_PERMISSION || (responseCode === ResponseCode.SYSTEM_ERROR && /AclException/.test(text));
}
