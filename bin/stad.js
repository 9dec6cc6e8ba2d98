#!/usr/bin/env node
// The installed `stad` command: the compiled CLI. `npm run stad -- ...` builds first.
import '../dist/src/cli/main.js';
