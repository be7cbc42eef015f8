/** The gateway process (`dist/server/main.js`: the Docker image, the benchmarks, `switchboard start`). */
import { runStart } from './start';

runStart(process.argv.slice(2));
