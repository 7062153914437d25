/** The `testbed` CLI. The folder's face: other folders import it from here only (docs/architecture.md). */
export { main } from './main.js';
