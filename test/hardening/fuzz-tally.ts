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
  /** An internal error or a rejection of more than one line (the test fails). */
  failed: number;
}

// the kinds of input in a fixed order, so that the table reads the same from run to run
const KIND_ORDER = ['truncated', 'mutated bytes', 'truncated + mutated', 'unchanged', 'hostile keys', 'random JSON'];
const rank = (k: string): number => (KIND_ORDER.includes(k) ? KIND_ORDER.indexOf(k) : KIND_ORDER.length);

export class FuzzTally {
  // reader -> kind of input -> outcome (insertion order: the order the tests ran)
  private readonly rows = new Map<string, Map<string, Outcome>>();

  add(reader: string, kind: string, outcome: keyof Outcome): void {
    let kinds = this.rows.get(reader);
    if (!kinds) this.rows.set(reader, (kinds = new Map()));
    let o = kinds.get(kind);
    if (!o) kinds.set(kind, (o = { read: 0, rejected: 0, failed: 0 }));
    o[outcome]++;
  }

  /** One Markdown table: reader, kind, tried, read, rejected, failed; and a total row. */
  markdown(runs: number): string {
    const lines = [`| reader | inputs | tried | read | rejected with one line | failed |`, `| --- | --- | ---: | ---: | ---: | ---: |`];
    const all: Outcome = { read: 0, rejected: 0, failed: 0 };
    for (const [reader, kinds] of this.rows) {
      for (const [kind, o] of [...kinds].sort((a, b) => rank(a[0]) - rank(b[0]))) {
        lines.push(`| ${reader} | ${kind} | ${o.read + o.rejected + o.failed} | ${o.read} | ${o.rejected} | ${o.failed} |`);
        all.read += o.read;
        all.rejected += o.rejected;
        all.failed += o.failed;
      }
    }
    const tried = all.read + all.rejected + all.failed;
    lines.push(`| **all** | | **${tried}** | **${all.read}** | **${all.rejected}** | **${all.failed}** |`);
    const verdict = all.failed === 0 ? 'none raised an internal error or a rejection of more than one line' : `${all.failed} FAILED (an internal error or a rejection of more than one line; fast-check's shrinking retries are counted too)`;
    return `${lines.join('\n')}\n\n${tried} inputs (STAD_FUZZ_RUNS=${runs}); ${verdict}.\n`;
  }

  /** Writes the table to $STAD_FUZZ_SUMMARY when set; returns its lines for the test's diagnostics. */
  report(runs: number): string[] {
    const text = this.markdown(runs);
    const file = process.env.STAD_FUZZ_SUMMARY;
    if (file) writeFileSync(file, text);
    return text.trimEnd().split('\n');
  }
}
