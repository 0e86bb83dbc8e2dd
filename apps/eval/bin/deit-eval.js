#!/usr/bin/env node
// A committed entry so that npm links the bin at install time, before the build creates dist/.
import '../dist/cli.js';
