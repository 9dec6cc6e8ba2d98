/**
 * `--device cpu|cuda|cuda:N` for the commands that run a model. Parsing needs no libtorch; checking that
 * the device can be used loads it (so it runs once the command is sure to need it).
 */
import { UserError } from '../util/errors.js';
import type { Device } from '../torch/dtype.js';

/** A --device value, or a UserError naming the flag. */
export function parseDeviceFlag(value: string, flag = '--device'): Device {
  if (!/^(cpu|cuda(:\d+)?)$/.test(value)) throw new UserError(`${flag}: expected cpu, cuda or cuda:N, got ${JSON.stringify(value)}`);
  return value as Device;
}

/** A UserError (one line, exit code 2) when the device cannot be used here: no CUDA, no such GPU. */
export async function requireDevice(device: Device, flag = '--device'): Promise<void> {
  if (device === 'cpu') return;
  const { deviceUnavailableReason } = await import('../torch/device.js');
  const why = deviceUnavailableReason(device);
  if (why) throw new UserError(`${flag} ${why}`);
}
