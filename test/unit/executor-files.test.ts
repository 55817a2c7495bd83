/**
 * A target's saved fault executor (server/external/executor-files.ts, through ExternalTargetService):
 * one file per set of name servers, in the form the CLI's --executors reads; a configuration that does
 * not parse is refused with its field and rule and writes nothing; saving again replaces the file whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExecutorFiles } from '../../server/external/executor-files';
import { ExternalInputError, ExternalTargetService } from '../../server/external/external-service';
import { parseExecutorConfig } from '../../server/external/fault-executors';

const KILL = JSON.stringify({ type: 'command', commands: { 'kill-broker': 'ssh {host} sudo systemctl kill -s KILL rocketmq-broker@{broker}' } }, null, 2);
const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'zl-executor-files-'));

test('executor files - one file per set of name servers, whatever their order; characters a path could misread made "-"', () => {
  const files = new ExecutorFiles('/data/x');
  assert.equal(files.fileOf(['10.0.0.6:9876', '10.0.0.5:9876']), '/data/x/10.0.0.5-9876_10.0.0.6-9876.json');
  assert.equal(files.fileOf(['10.0.0.5:9876', '10.0.0.6:9876', '10.0.0.5:9876']), files.fileOf(['10.0.0.6:9876', '10.0.0.5:9876']));
  assert.equal(files.fileOf(['[::1]:9876']), '/data/x/---1--9876.json');
  assert.equal(path.dirname(files.fileOf(['../../etc:9876'])), '/data/x', 'a host cannot lead out of the directory');
  assert.notEqual(files.fileOf(['a:9876']), files.fileOf(['b:9876']));
});

test('executor files - saved through the service: read back as written, and the CLI\'s parser takes the file', () => {
  const root = tempDir();
  try {
    const service = new ExternalTargetService(root, () => undefined);
    assert.equal(service.savedExecutor(['127.0.0.1:9876']), null, 'nothing saved yet');
    const saved = service.saveExecutor(['127.0.0.1:9876'], KILL);
    assert.equal(saved.type, 'command');
    assert.equal(saved.file, path.join(root, 'external-executors', '127.0.0.1-9876.json'));
    assert.equal(fs.statSync(saved.file).mode & 0o777, 0o600, 'readable by the lab\'s user only: its commands say how to reach the hosts');
    assert.deepEqual(service.savedExecutor(['127.0.0.1:9876']), { file: saved.file, text: `${KILL}\n` });
    const config = parseExecutorConfig(fs.readFileSync(saved.file, 'utf8'), saved.file);
    assert.equal(config.type, 'command');
    assert.equal(service.savedExecutor(['127.0.0.1:9877']), null, 'another target has its own file');

    const replaced = JSON.stringify({ type: 'command', commands: { 'kill-broker': 'ssh {host} pkill -KILL -f {broker}' } });
    service.saveExecutor(['127.0.0.1:9876'], replaced);
    assert.equal(service.savedExecutor(['127.0.0.1:9876'])?.text, `${replaced}\n`);
    assert.deepEqual(fs.readdirSync(path.join(root, 'external-executors')), ['127.0.0.1-9876.json'], 'no temporary file left beside it');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('executor files - a configuration that does not parse is refused with its field and rule, and the saved file stays as it was', () => {
  const root = tempDir();
  try {
    const service = new ExternalTargetService(root, () => undefined);
    assert.throws(() => service.saveExecutor(['127.0.0.1:9876'], '{"type":"command","commands":{}}'),
      (error: Error) => error instanceof ExternalInputError && /^executor: commands\.kill-broker: Required/.test(error.message));
    assert.equal(fs.existsSync(path.join(root, 'external-executors')), false, 'nothing written');
    service.saveExecutor(['127.0.0.1:9876'], KILL);
    assert.throws(() => service.saveExecutor(['127.0.0.1:9876'], '{"type":"command",'), (error: Error) => error instanceof ExternalInputError && /^executor: not JSON: /.test(error.message), 'named by its field, so the page shows it beside it');
    assert.throws(() => service.saveExecutor(['127.0.0.1:9876'], JSON.stringify({ type: 'ssh' })), (error: Error) => error instanceof ExternalInputError && /type/.test(error.message));
    assert.equal(service.savedExecutor(['127.0.0.1:9876'])?.text, `${KILL}\n`, 'the earlier file is kept whole');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
