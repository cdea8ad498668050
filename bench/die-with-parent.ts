/**
 * Preloaded into the benchmark's server processes (`--import`): exits when the process that started
 * it is gone, so a benchmark killed with SIGKILL leaves no server behind. One cheap check a second.
 */
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 1000).unref();
