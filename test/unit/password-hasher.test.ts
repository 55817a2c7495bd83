/** bcrypt in a worker thread (server/auth/password-hasher.ts): hashes that compare, concurrent calls kept apart. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PasswordHasher } from '../../server/auth/password-hasher';

test('password hasher - a bcrypt hash made in the worker matches its password and no other; concurrent calls get their own answers', async () => {
  const hasher = new PasswordHasher();
  try {
    const hash = await hasher.hash('correct horse', 4);
    assert.match(hash, /^\$2[aby]\$04\$/);
    const answers = await Promise.all(['correct horse', 'wrong', 'correct horse', ''].map((p) => hasher.compare(p, hash)));
    assert.deepEqual(answers, [true, false, true, false]);
    await assert.rejects(hasher.hash('x', 'not rounds' as unknown as number), 'an error in the worker fails that call');
    assert.equal(await hasher.compare('correct horse', hash), true, 'and the worker goes on');
  } finally {
    await hasher.close();
  }
});
