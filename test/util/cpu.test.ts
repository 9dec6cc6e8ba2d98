// The quota-aware core count: cgroup v2 and v1 files found through /proc/self/{mountinfo,cgroup},
// written into a fake root directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { availableCores, cgroupCpuLimit, defaultThreadCount } from '../../src/util/cpu.js';
import { UserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

/** Writes files (path relative to the fake root -> contents) into a new temporary root. */
function fakeRoot(files: Record<string, string>): { root: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir('stad-cpu-');
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return { root: dir, cleanup };
}

function withRoot(files: Record<string, string>, fn: (root: string) => void): void {
  const { root, cleanup } = fakeRoot(files);
  try {
    fn(root);
  } finally {
    cleanup();
  }
}

const V2_MOUNT = '30 22 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n';
const v1Mount = (mountPoint: string, root = '/', controllers = 'cpu,cpuacct'): string =>
  `31 30 0:28 ${root} ${mountPoint} rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,${controllers}\n`;

test('cgroup v2: cpu.max of the process cgroup, the tightest level counting', () => {
  withRoot(
    {
      'proc/self/mountinfo': '22 1 0:21 / /sys rw - sysfs sysfs rw\n' + V2_MOUNT,
      'proc/self/cgroup': '0::/system.slice/app.service\n',
      'sys/fs/cgroup/cpu.max': 'max 100000\n',
      'sys/fs/cgroup/system.slice/cpu.max': 'max 100000\n',
      'sys/fs/cgroup/system.slice/app.service/cpu.max': '250000 100000\n',
    },
    (root) => {
      assert.equal(cgroupCpuLimit(root), 2.5);
      assert.equal(availableCores(root, 16), 2, '2.5 CPUs round down');
      assert.equal(availableCores(root, 1), 1, 'never more than the host has');
    },
  );
  withRoot(
    {
      'proc/self/mountinfo': V2_MOUNT,
      'proc/self/cgroup': '0::/a/b\n',
      'sys/fs/cgroup/a/cpu.max': '50000 100000\n',
      'sys/fs/cgroup/a/b/cpu.max': '400000 100000\n',
    },
    (root) => {
      assert.equal(cgroupCpuLimit(root), 0.5, 'a parent limit binds its children');
      assert.equal(availableCores(root, 8), 1, 'at least 1');
    },
  );
});

test('cgroup v2 in a container (cgroup namespace): the limit sits at the mount root', () => {
  withRoot(
    {
      'proc/self/mountinfo': V2_MOUNT,
      'proc/self/cgroup': '0::/\n',
      'sys/fs/cgroup/cpu.max': '300000 100000\n',
    },
    (root) => assert.equal(availableCores(root, 64), 3),
  );
});

test('cgroup v1: cpu.cfs_quota_us / cpu.cfs_period_us; -1 is no limit', () => {
  withRoot(
    {
      'proc/self/mountinfo': v1Mount('/sys/fs/cgroup/cpu,cpuacct'),
      'proc/self/cgroup': '5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '200000\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
    },
    (root) => {
      assert.equal(cgroupCpuLimit(root), 2);
      assert.equal(availableCores(root, 8), 2);
    },
  );
  withRoot(
    {
      'proc/self/mountinfo': v1Mount('/sys/fs/cgroup/cpu,cpuacct'),
      'proc/self/cgroup': '4:cpu,cpuacct:/\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    },
    (root) => {
      assert.equal(cgroupCpuLimit(root), undefined);
      assert.equal(availableCores(root, 8), 8);
    },
  );
});

test('cgroup v1 in a container: a host path not visible under the mount falls back to the mount point', () => {
  withRoot(
    {
      // the container sees its own cgroup at the mount point, while /proc/self/cgroup names the host path
      'proc/self/mountinfo': v1Mount('/sys/fs/cgroup/cpu', '/', 'cpu'),
      'proc/self/cgroup': '3:cpu:/kubepods/pod1/c1\n',
      'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '150000\n',
      'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
    },
    (root) => assert.equal(availableCores(root, 4), 1),
  );
  withRoot(
    {
      // mount root is the container's cgroup (mountinfo's 4th field)
      'proc/self/mountinfo': v1Mount('/sys/fs/cgroup/cpu', '/kubepods/pod1/c1', 'cpu'),
      'proc/self/cgroup': '3:cpu:/kubepods/pod1/c1\n',
      'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '300000\n',
      'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
    },
    (root) => assert.equal(availableCores(root, 4), 3),
  );
});

test('hybrid layout (v1 cpu controller beside a v2 mount without cpu.max), as on the development machine', () => {
  withRoot(
    {
      'proc/self/mountinfo':
        '30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n' +
        v1Mount('/sys/fs/cgroup/cpu', '/', 'cpu') +
        '32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n' +
        '40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n',
      'proc/self/cgroup': '2:cpuacct:/\n1:cpu:/\n0::/\n',
      'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '100000\n',
      'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
      'sys/fs/cgroup/cpuacct/cpu.cfs_quota_us': '10000\n', // not the cpu controller: ignored
      'sys/fs/cgroup/cpuacct/cpu.cfs_period_us': '100000\n',
      'sys/fs/cgroup/unified/cgroup.controllers': '\n',
    },
    (root) => assert.equal(availableCores(root, 2), 1),
  );
});

test('no cgroup files (not Linux, nothing mounted, unreadable): the host count', () => {
  withRoot({}, (root) => {
    assert.equal(cgroupCpuLimit(root), undefined);
    assert.equal(availableCores(root, 6), 6);
    assert.equal(availableCores(root, 0), 1, 'at least 1');
  });
  withRoot(
    {
      'proc/self/mountinfo': V2_MOUNT,
      'proc/self/cgroup': '0::/x\n',
      'sys/fs/cgroup/x/cpu.max': 'garbage\n',
    },
    (root) => assert.equal(availableCores(root, 3), 3),
  );
});

test('mount points with escaped characters (\\040 for a space)', () => {
  withRoot(
    {
      'proc/self/mountinfo': '30 22 0:27 / /my\\040cgroup rw - cgroup2 cgroup2 rw\n',
      'proc/self/cgroup': '0::/\n',
      'my cgroup/cpu.max': '100000 100000\n',
    },
    (root) => assert.equal(cgroupCpuLimit(root), 1),
  );
});

test('this machine: between 1 and the CPUs the process may run on', () => {
  const n = availableCores();
  assert.ok(Number.isInteger(n) && n >= 1 && n <= availableParallelism(), String(n));
});

test('STAD_NUM_THREADS overrides the quota; a bad value is a UserError naming it', () => {
  withRoot({}, (root) => {
    assert.equal(defaultThreadCount({ STAD_NUM_THREADS: '3' }, root), 3);
    assert.equal(defaultThreadCount({ STAD_NUM_THREADS: ' 12 ' }, root), 12);
    assert.equal(defaultThreadCount({}, root), availableCores(root));
    assert.equal(defaultThreadCount({ STAD_NUM_THREADS: '' }, root), availableCores(root));
    for (const bad of ['0', '-2', '1.5', 'two', '1e400']) {
      assert.throws(() => defaultThreadCount({ STAD_NUM_THREADS: bad }, root), (e: unknown) => {
        assert.ok(e instanceof UserError);
        assert.equal(e.message, `STAD_NUM_THREADS: expected a positive integer, got '${bad}'`);
        return true;
      });
    }
  });
});
