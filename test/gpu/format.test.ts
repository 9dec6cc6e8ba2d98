import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { parseComputeAppsCsv, parseGpuCsv } from '../../src/gpu/nvidia-smi.js';
import { formatClock, formatGpuSummary, formatProcess, formatSnapshot, snapshotToJson, styler } from '../../src/gpu/format.js';
import type { GpuProcess, GpuSnapshot } from '../../src/gpu/snapshot.js';
import { useColor } from '../../src/cli/color.js';
import { gpuFixtures } from './fake-nvidia-smi.js';

const TIME = new Date(2024, 2, 13, 10, 20, 30); // local time: the header shows local time

/** A snapshot from a recording, with owners made up per pid (as procfs would give them). */
function snapshot(name: string, users: Record<number, [string, string]> = {}): GpuSnapshot {
  const gpus = parseGpuCsv(readFileSync(join(gpuFixtures, name, 'query-gpu.csv'), 'utf8'));
  const apps = parseComputeAppsCsv(readFileSync(join(gpuFixtures, name, 'query-compute-apps.csv'), 'utf8'));
  return {
    hostname: 'node-7',
    time: TIME,
    driverVersion: gpus[0]!.driverVersion,
    gpus: gpus.map((g) => ({
      ...g,
      processes: apps
        .filter((a) => a.gpuUuid === g.uuid)
        .map((a): GpuProcess => ({ pid: a.pid, usedMemoryMiB: a.usedMemoryMiB, user: users[a.pid]?.[0] ?? null, command: users[a.pid]?.[1] ?? null, fullCommand: null, processName: a.processName })),
    })),
  };
}

test('formatClock: gpustat\'s header time', () => {
  assert.equal(formatClock(TIME), 'Wed Mar 13 10:20:30 2024');
});

test('one H200 with -cp: the header, then [index] name | temp, util | memory | power | processes', () => {
  const snap = snapshot('h200', { 2714: ['ana', 'python3.11'], 3391: ['root', 'node'] });
  assert.equal(
    formatSnapshot(snap, { showCmd: true, showPid: true }),
    'node-7  Wed Mar 13 10:20:30 2024  560.35.03\n' +
      '[0] NVIDIA H200 | 47°C,  97 % |  71342 / 143771 MB | 612 / 700 W | python3.11/2714(70688M) node/3391(532M)\n',
  );
});

test('process entries follow gpustat: the user unless -c, with -u as well, the pid with -p', () => {
  const p: GpuProcess = { pid: 2714, usedMemoryMiB: 70688, user: 'ana', command: 'python3.11', fullCommand: null, processName: null };
  assert.equal(formatProcess(p), 'ana(70688M)');
  assert.equal(formatProcess(p, { showCmd: true }), 'python3.11(70688M)');
  assert.equal(formatProcess(p, { showPid: true }), 'ana/2714(70688M)');
  assert.equal(formatProcess(p, { showCmd: true, showPid: true, showUser: true }), 'ana:python3.11/2714(70688M)');
  assert.equal(formatProcess({ ...p, user: null, command: null, usedMemoryMiB: null }, { showCmd: true, showUser: true }), '--:--(??M)');
});

test('two GPUs: columns line up; a GPU without processes ends after its power', () => {
  const text = formatSnapshot(snapshot('two-rtx4090', { 48213: ['ana', 'python'] }), { showCmd: true, showPid: true, showUser: true });
  assert.deepEqual(text.split('\n').slice(1), [
    '[0] NVIDIA GeForce RTX 4090 | 66°C, 100 % | 22817 / 24564 MB | 398 / 450 W | ana:python/48213(22790M)',
    '[1] NVIDIA GeForce RTX 4090 | 34°C,   0 % |    18 / 24564 MB |  22 / 450 W',
    '',
  ]);
});

test('[N/A] power shows as ??, as gpustat shows what it cannot read', () => {
  const text = formatSnapshot(snapshot('power-na', { 1884: ['ana', 'python3'] }), { showCmd: true });
  assert.equal(text.split('\n')[1], '[0] NVIDIA GeForce RTX 3060 Laptop GPU | 52°C,  38 % |  3012 /  6144 MB |  ?? /  ?? W | python3(2944M) --(??M)');
});

test('no GPU at all is said, not an empty table', () => {
  assert.equal(formatSnapshot({ hostname: 'h', time: TIME, driverVersion: null, gpus: [] }), 'h  Wed Mar 13 10:20:30 2024  ??\n(no GPU found)\n');
});

test('colours: ANSI styles on the same text; off gives the plain text', () => {
  const snap = snapshot('h200', { 2714: ['ana', 'python3.11'], 3391: ['root', 'node'] });
  const plain = formatSnapshot(snap, { showCmd: true, style: styler(false) });
  const coloured = formatSnapshot(snap, { showCmd: true, style: styler(true) });
  assert.notEqual(coloured, plain);
  assert.match(coloured, /\x1b\[\d+m/);
  assert.equal(stripVTControlCharacters(coloured), plain);
  assert.doesNotMatch(plain, /\x1b/);
});

test('useColor: --color/--no-color, then FORCE_COLOR, then NO_COLOR, then a terminal with colours', () => {
  const tty = { isTTY: true, hasColors: () => true };
  const pipe = { isTTY: false, hasColors: () => false };
  assert.equal(useColor(tty, undefined, {}), true);
  assert.equal(useColor(pipe, undefined, {}), false);
  assert.equal(useColor({ isTTY: true, hasColors: () => false }, undefined, {}), false, 'TERM=dumb');
  assert.equal(useColor(tty, undefined, { NO_COLOR: '1' }), false);
  assert.equal(useColor(tty, undefined, { NO_COLOR: '' }), true, 'an empty NO_COLOR is no opinion (no-color.org)');
  assert.equal(useColor(pipe, undefined, { FORCE_COLOR: '1' }), true);
  assert.equal(useColor(pipe, undefined, { FORCE_COLOR: '' }), true);
  assert.equal(useColor(tty, undefined, { FORCE_COLOR: '0' }), false);
  assert.equal(useColor(tty, undefined, { FORCE_COLOR: 'false' }), false);
  assert.equal(useColor(pipe, undefined, { FORCE_COLOR: '1', NO_COLOR: '1' }), true, 'FORCE_COLOR wins, as in Node');
  assert.equal(useColor(tty, false, { FORCE_COLOR: '1' }), false, '--no-color wins');
  assert.equal(useColor(pipe, true, { NO_COLOR: '1' }), true, '--color wins');
});

test('snapshotToJson: nvidia-smi\'s field names, null for what is not reported', () => {
  const json = snapshotToJson(snapshot('power-na', { 1884: ['ana', 'python3'] }));
  assert.equal(json.query_time, TIME.toISOString());
  assert.equal(json.driver_version, '535.183.01');
  const g = json.gpus[0]!;
  assert.deepEqual([g['memory.used'], g['memory.total'], g['power.draw'], g['enforced.power.limit'], g['temperature.gpu'], g['utilization.gpu']], [3012, 6144, null, null, 52, 38]);
  assert.deepEqual(g.processes[0], { pid: 1884, username: 'ana', command: 'python3', full_command: null, process_name: '/usr/bin/python3', gpu_memory_usage: 2944 });
  assert.equal(g.processes[1]!.gpu_memory_usage, null);
});

test('formatGpuSummary: a short figure for a progress line', () => {
  const [g] = parseGpuCsv(readFileSync(join(gpuFixtures, 'h200', 'query-gpu.csv'), 'utf8'));
  assert.equal(formatGpuSummary(g!), 'GPU0 97% 69.7/140.4 GiB');
  assert.equal(formatGpuSummary({ ...g!, utilizationPct: null, memoryUsedMiB: null }), 'GPU0 ??% ??/140.4 GiB');
});
