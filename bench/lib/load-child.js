'use strict';
/** One load generator in its own process (so side-by-side loads do not share an event loop):
 *  node bench/lib/load-child.js '<json opts for http-load run()>' → prints the result as JSON. */
const http = require('./http-load');

http
  .run(JSON.parse(process.argv[2]))
  .then((r) => process.stdout.write(`${JSON.stringify(r)}\n`))
  .catch((e) => {
    process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  });
