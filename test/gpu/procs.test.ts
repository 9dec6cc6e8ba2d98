import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { userInfo } from 'node:os';
import { parseStatusUid, readPasswd, readProcesses } from '../../src/gpu/procs.js';
import { tempDir } from '../helpers.js';
import { writeProcfs } from './fake-nvidia-smi.js';

test('readProcesses: owner from status Uid and passwd, command from cmdline, null when the pid is not there', () => {
  const t = tempDir();
  try {
    const procfs = join(t.dir, 'proc');
    writeProcfs(procfs, {
      2714: { uid: 4242, argv: ['/opt/conda/bin/python3.11', 'tools/train.py', '--cfg', 'a b, c.py', ''] },
      3391: { uid: 4343, argv: ['node', 'dist/src/cli/main.js'] },
      77: { uid: 4242, argv: [], comm: 'kworker/0:1' },
    });
    const passwd = join(t.dir, 'passwd');
    writeFileSync(passwd, '# users\nroot:x:0:0:root:/root:/bin/bash\nana:x:4242:4242:Ana:/home/ana:/bin/bash\nana2:x:4242:4242::/:/bin/sh\nbroken line\n');
    const info = readProcesses([2714, 3391, 77, 99999, -1], { procfs, passwdFile: passwd });
    assert.deepEqual(info.get(2714), { pid: 2714, user: 'ana', command: 'python3.11', fullCommand: ['/opt/conda/bin/python3.11', 'tools/train.py', '--cfg', 'a b, c.py', ''] });
    // a uid the passwd database does not know is shown as the number
    assert.deepEqual(info.get(3391), { pid: 3391, user: '4343', command: 'node', fullCommand: ['node', 'dist/src/cli/main.js'] });
    // a kernel thread has no command line: its comm names it
    assert.deepEqual(info.get(77), { pid: 77, user: 'ana', command: 'kworker/0:1', fullCommand: [] });
    assert.deepEqual(info.get(99999), { pid: 99999, user: null, command: null, fullCommand: null });
    assert.deepEqual(info.get(-1), { pid: -1, user: null, command: null, fullCommand: null });
  } finally {
    t.cleanup();
  }
});

test('readProcesses on the real /proc: this very process is ours and runs node', () => {
  const info = readProcesses([process.pid], { procfs: '/proc' }).get(process.pid)!;
  assert.equal(info.user, userInfo().username);
  assert.equal(info.command, basename(process.argv0));
  assert.ok(info.fullCommand && info.fullCommand.length >= 2);
});

test('readPasswd keeps the first entry of a uid; parseStatusUid reads the real uid', () => {
  const t = tempDir();
  try {
    const passwd = join(t.dir, 'passwd');
    writeFileSync(passwd, 'a:x:5:5::/:/bin/sh\nb:x:5:5::/:/bin/sh\nc:x:notanumber:1::/:\n');
    assert.deepEqual([...readPasswd(passwd)], [[5, 'a']]);
    assert.deepEqual([...readPasswd(join(t.dir, 'missing'))], []);
  } finally {
    t.cleanup();
  }
  assert.equal(parseStatusUid('Name:\tx\nUid:\t1000\t0\t0\t0\n'), 1000);
  assert.equal(parseStatusUid('Name:\tx\n'), null);
});
