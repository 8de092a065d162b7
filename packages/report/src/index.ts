/**
 * @p2pkit/report (private): benchmark and experiment results as JSON files
 * (`packages/<pkg>/results/<name>.json`), offline HTML reports with charts rendered to SVG by
 * Vega-Lite without a browser, and the tables `pnpm bench`, `pnpm experiments` and the root
 * README print from those files. Experiments, bench runners and the cli use it; protocol
 * packages never do. See README.md for the convention.
 */
export {
  type Axis,
  type BarChartOptions,
  barChart,
  type CdfOptions,
  type Chart,
  cdf,
  type HistogramOptions,
  histogram,
  type LineChartOptions,
  type LineSeries,
  lineChart,
  type Point,
  renderSvg,
} from './charts.js';
export { gitCommit, loadNow, type Machine, machine } from './machine.js';
export {
  type Block,
  mergeBlocks,
  type ReportOptions,
  reportHtml,
  reportMarkdown,
  type WrittenReport,
  writeReport,
} from './report.js';
export {
  completeFigure,
  type Figure,
  type Goal,
  type Peer,
  type Result,
  type ResultInput,
  readAllResults,
  readResult,
  writeResult,
} from './results.js';
export {
  formatNumber,
  goalText,
  headlineMarkdown,
  textTable,
  updateReadme,
  withHeadlineTable,
} from './table.js';
