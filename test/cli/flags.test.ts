/** src/cli/flags.ts: the numeric flag parsers every command uses, and their one error wording. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intFlag, intOption, numberFlag, numberOption } from '../../src/cli/flags.js';
import { UserError } from '../../src/util/errors.js';

function rejects(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => e instanceof UserError && e.message === message);
}

test('intFlag: integers at least min; the error names the flag, what it expects and the value given', () => {
  assert.equal(intFlag('--epochs', '3', 1), 3);
  assert.equal(intFlag('--workers', '0', 0), 0);
  assert.equal(intFlag('--seed', '-7'), -7);
  rejects(() => intFlag('--epochs', '0', 1), '--epochs: expected a positive integer, got "0"');
  rejects(() => intFlag('--epochs', '2.5', 1), '--epochs: expected a positive integer, got "2.5"');
  rejects(() => intFlag('--workers', '-1', 0), '--workers: expected an integer >= 0, got "-1"');
  rejects(() => intFlag('--pairs', '1', 2), '--pairs: expected an integer >= 2, got "1"');
  rejects(() => intFlag('--seed', 'x'), '--seed: expected an integer, got "x"');
  rejects(() => intFlag('--seed', ''), '--seed: expected an integer, got ""');
  rejects(() => intFlag('--seed', ' '), '--seed: expected an integer, got " "');
  rejects(() => intFlag('--seed', '1e30'), '--seed: expected an integer, got "1e30"');
});

test('numberFlag: finite numbers within the range, the range written as in the error', () => {
  assert.equal(numberFlag('--iou', '1', { above: 0, max: 1 }), 1);
  assert.equal(numberFlag('--score-thr', '0', { min: 0, max: 1 }), 0);
  assert.equal(numberFlag('--scale', '-0.5'), -0.5);
  rejects(() => numberFlag('--iou', '0', { above: 0, max: 1 }), '--iou: expected a number in (0, 1], got "0"');
  rejects(() => numberFlag('--score-thr', '1.5', { min: 0, max: 1 }), '--score-thr: expected a number in [0, 1], got "1.5"');
  rejects(() => numberFlag('--interval', '0', { above: 0 }), '--interval: expected a positive number, got "0"');
  rejects(() => numberFlag('--x', '-1', { min: 0 }), '--x: expected a number >= 0, got "-1"');
  rejects(() => numberFlag('--x', '2', { max: 1 }), '--x: expected a number <= 1, got "2"');
  rejects(() => numberFlag('--scale', 'Infinity'), '--scale: expected a number, got "Infinity"');
  rejects(() => numberFlag('--scale', 'NaN'), '--scale: expected a number, got "NaN"');
  rejects(() => numberFlag('--scale', ''), '--scale: expected a number, got ""');
});

test('intOption / numberOption are the same checks as commander argument parsers', () => {
  assert.equal(intOption('--threads', 1)('2'), 2);
  assert.equal(numberOption('--scale')('0.1'), 0.1);
  rejects(() => intOption('--threads', 1)('0'), '--threads: expected a positive integer, got "0"');
  rejects(() => numberOption('--scale', { above: 0 })('x'), '--scale: expected a positive number, got "x"');
});
