/**
 * Worker thread of the clip loader: runs ClipJobs, rendering each clip into the batch buffer it was
 * given (a SharedArrayBuffer: the main thread sees the pixels without a copy), and replies when done.
 */
import { parentPort } from 'node:worker_threads';
import { runClipJob, type ClipJob } from './clip-job.js';
import type { ClipDestination } from './transforms.js';
import { isUserError } from '../util/errors.js';

if (!parentPort) throw new Error('loader-worker must run as a worker thread');
const port = parentPort;

port.on('message', (msg: { id: number; job: ClipJob; dst: ClipDestination }) => {
  runClipJob(msg.job, msg.dst).then(
    () => port.postMessage({ id: msg.id }),
    (e: unknown) => port.postMessage({ id: msg.id, error: (e as Error).message, userError: isUserError(e) }),
  );
});
