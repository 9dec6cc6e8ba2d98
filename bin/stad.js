#!/usr/bin/env -S node --max-semi-space-size=1
// The installed `stad` command: the compiled CLI. `npm run stad -- ...` builds first. The flag fixes V8's
// young generation, so that a long run's memory stays flat (src/util/young-generation.ts, issue #12); run
// as `node bin/stad.js`, give it to node yourself (or through NODE_OPTIONS).
import '../dist/src/cli/main.js';
