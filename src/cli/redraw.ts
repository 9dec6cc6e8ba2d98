/**
 * Redraws a block of lines in place on a terminal, as `watch` and gpustat's `-i` do: each refresh moves
 * the cursor back to the block's first row, clears from there down and writes the new block. The cursor is hidden while the view is live.
 * Cursor movement comes from node:readline; hiding the cursor has no helper there (DECTCEM).
 */
import { clearScreenDown, cursorTo, moveCursor } from 'node:readline';
import { stripVTControlCharacters } from 'node:util';

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/** Rows a block of text takes on a terminal `columns` wide: long lines wrap onto several. */
export function terminalRows(text: string, columns: number): number {
  const cols = Math.max(1, columns);
  return text
    .replace(/\n$/, '')
    .split('\n')
    .reduce((rows, line) => rows + Math.max(1, Math.ceil(stripVTControlCharacters(line).length / cols)), 0);
}

export class InPlaceView {
  private rows = 0;
  private redrawAll = false;
  private closed = false;
  private readonly onResize = (): void => {
    // after a resize the old block has rewrapped: its height is unknown, so repaint the screen
    this.redrawAll = true;
  };

  constructor(private readonly stream: NodeJS.WriteStream) {
    stream.write(HIDE_CURSOR);
    stream.on('resize', this.onResize);
  }

  draw(text: string): void {
    const s = this.stream;
    const height = s.rows || 24;
    if (this.redrawAll || this.rows >= height) {
      // the block's first row has scrolled off (or moved): start from the top of the screen
      cursorTo(s, 0, 0);
      this.redrawAll = false;
    } else if (this.rows > 0) {
      moveCursor(s, 0, -this.rows);
      cursorTo(s, 0);
    }
    // Clear first, then write the whole block at once: clearing to the end of each line after writing
    // it would erase the last character of a line that exactly fills the width (pending wrap).
    clearScreenDown(s);
    s.write(text.endsWith('\n') ? text : `${text}\n`);
    this.rows = terminalRows(text, s.columns || 80);
  }

  /** Shows the cursor again; the last block stays on the screen. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.off('resize', this.onResize);
    this.stream.write(SHOW_CURSOR);
  }
}
