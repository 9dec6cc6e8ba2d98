/**
 * The fuzz tests' counts: per reader and kind of input, how many inputs were tried and how each ended
 * (read, or rejected with a one-line UserError). Printed as the last test's diagnostics and, when
 * STAD_FUZZ_SUMMARY names a file, written there as the Markdown table bench/RESULTS.md records, so that
 * the recorded counts are the tests' own, never typed by hand.
 */
import { writeFileSync } from 'node:fs';

export interface Outcome {
  read: number;
  rejected: number;
}

export class FuzzTally {
  // reader -> kind of input -> outcome (insertion order: the order the tests ran)
  private readonly rows = new Map<string, Map<string, Outcome>>();

  add(reader: string, kind: string, outcome: keyof Outcome): void {
    let kinds = this.rows.get(reader);
    if (!kinds) this.rows.set(reader, (kinds = new Map()));
    let o = kinds.get(kind);
    if (!o) kinds.set(kind, (o = { read: 0, rejected: 0 }));
    o[outcome]++;
  }

  /** One Markdown table: reader, kind, tried, read, rejected; and a total row. */
  markdown(runs: number): string {
    const lines = [
      `| reader | inputs | tried | read | rejected with one line |`,
      `| --- | --- | ---: | ---: | ---: |`,
    ];
    let tried = 0;
    let read = 0;
    let rejected = 0;
    for (const [reader, kinds] of this.rows) {
      for (const [kind, o] of kinds) {
        lines.push(`| ${reader} | ${kind} | ${o.read + o.rejected} | ${o.read} | ${o.rejected} |`);
        tried += o.read + o.rejected;
        read += o.read;
        rejected += o.rejected;
      }
    }
    lines.push(`| **all** | | **${tried}** | **${read}** | **${rejected}** |`);
    return `${lines.join('\n')}\n\n${tried} inputs (STAD_FUZZ_RUNS=${runs}); none raised an internal error, none hung, every rejection was one line.\n`;
  }

  /** Writes the table to $STAD_FUZZ_SUMMARY when set; returns its lines for the test's diagnostics. */
  report(runs: number): string[] {
    const text = this.markdown(runs);
    const file = process.env.STAD_FUZZ_SUMMARY;
    if (file) writeFileSync(file, text);
    return text.trimEnd().split('\n');
  }
}
