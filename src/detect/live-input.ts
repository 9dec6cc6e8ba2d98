/**
 * What counts as a live input for `stad detect`, and the ffmpeg input options for it: network streams
 * (`rtsp://`, `rtmp://`, `udp://`, `tcp://`, `srt://`, `http(s)://`) and capture devices (`/dev/video*`,
 * read with video4linux2). Everything else is a file.
 */
const STREAM = /^(rtsp|rtsps|rtmp|udp|rtp|tcp|srt|http|https):\/\//i;

export function isLiveInput(input: string): boolean {
  return STREAM.test(input) || /^\/dev\/video\d+$/.test(input);
}

/**
 * ffmpeg's options before `-i` for a live input: no input buffering beyond what decoding needs, an I/O
 * timeout on network reads (`rw_timeout`, microseconds), and for UDP a large receive buffer whose
 * overruns drop packets instead of failing.
 */
export function liveInputArgs(input: string, timeoutSeconds: number): string[] {
  const us = String(Math.round(timeoutSeconds * 1e6));
  if (/^\/dev\/video\d+$/.test(input)) return ['-f', 'video4linux2', '-i', input];
  const scheme = input.slice(0, input.indexOf(':')).toLowerCase();
  const net = ['-fflags', 'nobuffer', '-rw_timeout', us];
  if (scheme === 'udp' || scheme === 'rtp') {
    const sep = input.includes('?') ? '&' : '?';
    return [...net, '-i', `${input}${sep}fifo_size=1000000&overrun_nonfatal=1`];
  }
  if (scheme === 'rtsp' || scheme === 'rtsps') return [...net, '-rtsp_transport', 'tcp', '-i', input];
  return [...net, '-i', input];
}
