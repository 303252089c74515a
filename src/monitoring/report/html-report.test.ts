import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../../../test/support/temp-dir.js'
import type { MonitorRun } from '../monitor.js'
import { renderHtmlReport, renderReport } from './html-report.js'
import { reportJson } from './json-report.js'
import { EVIL, fixtureRun } from './report-fixture.test-support.js'
import { escapeXml, histogramChart, lineChart } from './svg-charts.js'

const PYTHON = '/usr/bin/python3'
/** Debian's chromium, when installed (`apt-get install chromium`); the browser test is skipped without it. */
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))

/** Checks with Python's HTML parser that every non-void element is closed in order, and parses each <svg> as XML. */
const WELL_FORMED = `
import sys, html.parser, re, xml.etree.ElementTree as ET
VOID = {'meta','br','img','input','link','hr','col','area','base','wbr','source','path','rect','circle','line','polyline'}
src = sys.stdin.read()
class P(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []; self.errors = []
    def handle_starttag(self, tag, attrs):
        if tag not in VOID: self.stack.append(tag)
    def handle_startendtag(self, tag, attrs): pass
    def handle_endtag(self, tag):
        if tag in VOID: return
        if not self.stack or self.stack[-1] != tag: self.errors.append('unexpected </%s>, open %s' % (tag, self.stack[-3:]))
        else: self.stack.pop()
p = P(); p.feed(src); p.close()
if p.stack: p.errors.append('unclosed %s' % p.stack)
svgs = re.findall(r'<svg.*?</svg>', src, re.S)
for s in svgs: ET.fromstring(s)
print('ok %d' % len(svgs) if not p.errors else '\\n'.join(p.errors))
`

describe('renderHtmlReport', () => {
  const html = renderHtmlReport(fixtureRun())

  it('escapes every user string: a column, a category, a rule and a model named with markup never become markup', () => {
    expect(html.toLowerCase()).not.toContain('<script')
    expect(html).not.toContain('<b>co</b>')
    expect(html).toContain(escapeXml(EVIL))
    expect(html).toContain('fraud &amp; &lt;b&gt;co&lt;/b&gt;')
    // In a table cell, a histogram title, a quality row and the alert list.
    expect(html.split(escapeXml(EVIL)).length - 1).toBeGreaterThanOrEqual(4)
  })

  it('is self-contained: no scripts, nothing loaded from anywhere, a CSP that forbids it', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain(`default-src 'none'`)
    expect(html).not.toMatch(/\s(src|href)\s*=/i)
    expect(html).not.toMatch(/url\(|@import|<link|<iframe|<object|\son[a-z]+\s*=/i)
  })

  it('has the summary: model, versions, windows, dataset-drift verdict and share', () => {
    const summary = section(html, 'summary')
    expect(summary).toContain('<td>1</td>')
    expect(summary).toContain('2 (20,000 predictions each), 40,000 predictions')
    expect(summary).toContain('dataset drift detected')
    expect(summary).toContain('2 of 7 (share 0.2857, threshold 0.25)')
    expect(summary).toContain('<code>amount</code>, <code>velocity</code>')
  })

  it('sorts the per-feature table drifted first, with the focus window’s test, score and threshold', () => {
    const features = section(html, 'features')
    const order = [...features.matchAll(/<tr[^>]*><td><code>([^<]*)<\/code>/g)].map((m) => m[1])
    expect(order).toEqual(['amount', 'velocity', escapeXml(EVIL), 'age', 'balance', 'score', 'tenure'])
    expect(features).toMatch(/<code>amount<\/code><\/td><td>numeric<\/td><td>wasserstein<\/td><td class="n">0\.9<\/td><td class="n">0\.1<\/td>/)
    // The NaN score of the hostile column shows as a dash, not "NaN".
    expect(features).not.toContain('NaN')
    expect((features.match(/class="n hit"/g) ?? []).length).toBe(2)
  })

  it('draws one reference-vs-current histogram per feature (grouped bars) and line charts over windows', () => {
    const distributions = section(html, 'distributions')
    expect((distributions.match(/<svg/g) ?? []).length).toBe(7)
    // 4 numeric bins × 2 bars × 6 numeric features + 3 categories × 2 bars.
    expect((distributions.match(/<rect x=[^>]*><title>/g) ?? []).length).toBe(4 * 2 * 6 + 3 * 2)
    const overTime = section(html, 'over-time')
    expect(overTime).toContain('Share of drifted columns')
    expect(overTime).toContain('Performance: roc_auc')
    expect(overTime).not.toMatch(/Performance: (labelled|rows)/)
    // Drift share, realized and estimated AUC: a two-point line each.
    expect((overTime.match(/<polyline/g) ?? []).length).toBe(3)
    expect(overTime).toContain('threshold 0.25')
  })

  it('lists data quality per column and window, and the alerts', () => {
    const quality = section(html, 'quality')
    expect(quality).toContain('<td><code>a.b</code></td><td>out_of_range</td><td class="n">—</td><td class="n warn">0.5</td>')
    expect(quality).toContain('<td><code>amount</code></td><td>missing</td><td class="n">0</td><td class="n warn">0.02</td>')
    const alerts = section(html, 'alerts')
    expect(alerts).toContain('drift.share = 0.2857 (threshold 0.25) in window #1')
    expect(alerts).toContain('<strong>critical</strong>')
    expect(alerts).toContain('webhook <code>http://127.0.0.1:9/hook?a=1&amp;b=&lt;script&gt;')
    expect(alerts).toContain('delivered (HTTP 204) after 1 attempt(s)')
    expect(alerts).toContain('retrain pipeline <code>fraud-train</code>: not requested: no onRetrain consumer')
  })

  it('shows prediction drift (outputs) apart from the features, with histograms counted only for features', () => {
    const outputs = section(html, 'outputs')
    expect(outputs).toMatch(/<code>probability_1<\/code><\/td><td>numeric<\/td><td>wasserstein<\/td><td class="n">0\.4<\/td>/)
    expect(section(html, 'features')).not.toContain('probability_1')
    expect(section(html, 'summary')).toContain('version 1, 5,000 sample rows')
    expect(section(html, 'summary')).toContain('<code>run-abc</code>')
  })

  it('takes a MonitorRun as it is (type check)', () => {
    const accepts = (run: MonitorRun): string => renderHtmlReport(run)
    expect(typeof accepts).toBe('function')
  })

  it('renders the same HTML from the JSON report read back', () => {
    const json = JSON.parse(JSON.stringify(reportJson(fixtureRun()))) as ReturnType<typeof reportJson>
    expect(renderReport(json)).toBe(html)
  })

  it('renders a run without windows or drift results without failing', () => {
    const empty = renderHtmlReport({ model: 'm', versions: [], windows: [], metrics: [], alerts: [] })
    expect(empty).toContain('no drift results')
    expect(empty).toContain('No alert fired')
  })

  it.skipIf(!existsSync(PYTHON))('is well-formed: every element closed in order, every SVG parses as XML (python3)', () => {
    const result = spawnSync(PYTHON, ['-c', WELL_FORMED], { input: html, encoding: 'utf8' })
    expect(result.stderr).toBe('')
    expect(result.stdout.trim()).toBe('ok 9')
  })

  it.skipIf(CHROMIUM === undefined)('loads in headless Chromium offline: the DOM has every section, 9 SVGs, no script element', () => {
    const dir = tempDir('keel-report-')
    try {
      const file = join(dir.path, 'report.html')
      writeFileSync(file, html)
      const result = spawnSync(
        CHROMIUM!,
        ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${join(dir.path, 'profile')}`, '--dump-dom', pathToFileURL(file).href],
        { encoding: 'utf8', timeout: 60_000 },
      )
      expect(result.status, result.stderr).toBe(0)
      const dom = result.stdout
      for (const id of ['summary', 'over-time', 'features', 'distributions', 'outputs', 'quality', 'alerts']) expect(dom).toContain(`<section id="${id}">`)
      expect((dom.match(/<svg /g) ?? []).length).toBe(9)
      expect(dom.toLowerCase()).not.toContain('<script')
      // The hostile column name is a text node in the parsed page, serialised escaped again.
      expect(dom).toContain('<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>')
    } finally {
      dir.remove()
    }
  })
})

describe('svg charts', () => {
  it('histogram bar heights are proportional to the shares (tallest = plot height)', () => {
    const svg = histogramChart({ title: 't', bins: ['a', 'b'], reference: [0.25, 0.75], current: [0.5, 0.5], height: 180 })
    const heights = [...svg.matchAll(/<rect x="[^"]*" y="[^"]*" width="[^"]*" height="([^"]*)" fill="[^"]*"><title>/g)].map((m) => Number(m[1]))
    // Plot height = 180 − 24 − 34 = 122.
    expect(heights).toEqual([122 / 3, 122 * (2 / 3), 122, 122 * (2 / 3)].map((h) => Number(h.toFixed(1))))
  })

  it('shows value bins of a numeric column in numeric order (they come in first-seen order)', () => {
    const svg = histogramChart({ title: 't', bins: ['10', '2', '0'], reference: [0.5, 0.3, 0.2], current: [0.1, 0.2, 0.7] })
    const labels = [...svg.matchAll(/font-size="10">([^<]*)<\/text>/g)].map((m) => m[1]).filter((l) => l !== 'reference' && l !== 'current')
    expect(labels).toEqual(['0', '2', '10'])
    const titles = [...svg.matchAll(/<title>([^<]*: reference [^<]*)<\/title>/g)].map((m) => m[1])
    expect(titles).toEqual(['0: reference 0.2', '2: reference 0.3', '10: reference 0.5'])
    // Categories (not all numbers) keep their order.
    const categories = histogramChart({ title: 't', bins: ['b', '1', 'a'], reference: [1, 1, 1], current: [1, 1, 1] })
    expect([...categories.matchAll(/<title>([^:<]*): reference/g)].map((m) => m[1])).toEqual(['b', '1', 'a'])
  })

  it('line charts leave gaps for missing values', () => {
    const svg = lineChart({ title: 't', xLabels: ['a', 'b', 'c', 'd'], series: [{ name: 's', values: [1, 2, null, 3] }] })
    expect((svg.match(/<polyline/g) ?? []).length).toBe(1)
    expect((svg.match(/<circle/g) ?? []).length).toBe(3)
  })
})

/** The HTML of one `<section id=...>`. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}">`)
  expect(start, `section ${id}`).toBeGreaterThanOrEqual(0)
  return html.slice(start, html.indexOf('</section>', start))
}
