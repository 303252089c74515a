export { renderHtmlReport, renderReport } from './html-report.js'
export { reportJson } from './json-report.js'
export type { MonitorReport, ReportableRun, ReportFeature, ReportFeatureWindow, ReportOptions, ReportWindow } from './json-report.js'
