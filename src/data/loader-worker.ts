/** Worker thread of the clip loader: runs ClipJobs and sends back the rendered clips (transferred). */
import { parentPort } from 'node:worker_threads';
import { runClipJob, type ClipJob } from './clip-job.js';
import { isUserError } from '../util/errors.js';

if (!parentPort) throw new Error('loader-worker must run as a worker thread');
const port = parentPort;

port.on('message', (msg: { id: number; job: ClipJob }) => {
  runClipJob(msg.job).then(
    (data) => port.postMessage({ id: msg.id, data }, [data.buffer as ArrayBuffer]),
    (e: unknown) => port.postMessage({ id: msg.id, error: (e as Error).message, userError: isUserError(e) }),
  );
});
