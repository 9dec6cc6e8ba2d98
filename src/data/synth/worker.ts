/**
 * A worker thread that writes the frames of whole sequences, so that generation uses every core:
 * it rebuilds the (deterministic) scenes from the options once, then renders the sequences it is
 * sent, reporting written frames as it goes. Output does not depend on how sequences are spread
 * over workers.
 */
import { parentPort } from 'node:worker_threads';
import { isUserError } from '../../util/errors.js';
import { writeSequenceFrames, type FrameOutput } from './frames.js';
import { buildScenes, type SceneOptions } from './plan.js';
import type { SequenceScene } from './scene.js';

export interface WorkerRequest extends FrameOutput {
  scene: SceneOptions;
  sequence: string;
}

export type WorkerMessage =
  | { type: 'frames'; n: number }
  | { type: 'done'; sequence: string }
  | { type: 'error'; message: string; stack?: string; user: boolean };

const port = parentPort;
if (!port) throw new Error('synth worker: must run in a worker thread');

let cached: { key: string; scenes: SequenceScene[] } | undefined;

port.on('message', (req: WorkerRequest) => {
  void (async () => {
    try {
      const key = JSON.stringify(req.scene);
      if (cached?.key !== key) cached = { key, scenes: buildScenes(req.scene) };
      const scene = cached.scenes.find((s) => s.name === req.sequence);
      if (!scene) throw new Error(`synth worker: no sequence ${req.sequence}`);
      // Report in batches: one message per frame would cost more than the frame.
      let pending = 0;
      await writeSequenceFrames(scene, req, (n) => {
        pending += n;
        if (pending >= 16) {
          port.postMessage({ type: 'frames', n: pending } satisfies WorkerMessage);
          pending = 0;
        }
      });
      if (pending > 0) port.postMessage({ type: 'frames', n: pending } satisfies WorkerMessage);
      port.postMessage({ type: 'done', sequence: req.sequence } satisfies WorkerMessage);
    } catch (e) {
      const err = e as Error;
      port.postMessage({ type: 'error', message: err?.message ?? String(e), stack: err?.stack, user: isUserError(e) } satisfies WorkerMessage);
    }
  })();
});
