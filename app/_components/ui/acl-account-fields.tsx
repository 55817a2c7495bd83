'use client';
/**
 * An external cluster's ACL account as the forms take it (the External page, the Traffic page's Target
 * card): an access key and its secret in a password field. It lives in the form only; the server is
 * sent both or neither, holds the secret only while a run or a target uses it, and never shows it back.
 */
import { useState } from 'react';
import { TextField } from './form';
import type { FieldIssues } from './field-errors';

export function useAclAccount() {
  const [accessKey, setAccessKey] = useState('');
  const [secretKey, setSecretKey] = useState('');
  return {
    accessKey, secretKey, setAccessKey, setSecretKey,
    /** the request's fields: both keys once either is typed (the server names the missing one), else none */
    input: (): { accessKey?: string; secretKey?: string } => (accessKey.trim() !== '' || secretKey !== '' ? { accessKey, secretKey } : {}),
  };
}

export function AclAccountFields(props: {
  account: ReturnType<typeof useAclAccount>;
  issues: FieldIssues;
  idPrefix: string;
  accessKeyTestId: string;
  secretKeyTestId: string;
  className?: string;
}) {
  const { account, issues, idPrefix, className } = props;
  return (
    <>
      <TextField name="accessKey" label="ACL access key" unit="optional" testId={props.accessKeyTestId} value={account.accessKey} onChange={account.setAccessKey} issues={issues} idPrefix={idPrefix} {...(className ? { className } : {})} />
      <TextField name="secretKey" label="ACL secret key" unit="never shown" type="password" testId={props.secretKeyTestId} value={account.secretKey} onChange={account.setSecretKey} issues={issues} idPrefix={idPrefix} {...(className ? { className } : {})} />
    </>
  );
}
