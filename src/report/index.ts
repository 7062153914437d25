/** `testbed report`: summaries, tables, figures and the study comparison of experiment runs. The folder's face: other folders import it from here only (docs/architecture.md). */
export * from './bootstrap.js';
export * from './charts.js';
export * from './html.js';
export * from './markdown.js';
export * from './render-svg.js';
export * from './report.js';
export * from './stats.js';
export * from './study-compare.js';
export * from './study.js';
export * from './summarize.js';
export * from './tables.js';
