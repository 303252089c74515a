import { describe, expect, it } from 'vitest'
import { Frame, categoricalColumn, numericColumn } from '../../core/frame.js'
import { logistic } from './logistic.js'
import type { ClassificationSet } from './fixture.test-support.js'
import { frameOf, loadLinearFixture } from './fixture.test-support.js'

const fixture = loadLinearFixture()

function crossCheck(name: string, set: ClassificationSet): void {
  describe(`logistic (${name}) against scikit-learn LogisticRegression(lbfgs)`, () => {
    for (const ref of set.fits) {
      for (const solver of ['lbfgs', 'newton'] as const) {
        const label = `${solver} C=${ref.C} penalty=${ref.penalty} fitIntercept=${ref.fitIntercept} classWeight=${ref.classWeight} weighted=${ref.weighted}`
        it(label, async () => {
          const frame = frameOf(set.X, set.y, ref.weighted ? set.sampleWeight : undefined)
          const params = logistic.resolveParams({
            C: ref.C,
            penalty: ref.penalty,
            fitIntercept: ref.fitIntercept,
            classWeight: ref.classWeight,
            weightColumn: ref.weighted ? 'w' : null,
            solver,
            tol: 1e-10,
            maxIter: 1000,
          })
          const model = await logistic.fit(frame, 'y', 'classification', params)
          expect(model.classes).toEqual(set.classes)
          const state = model.save().state as { coef: number[][]; intercept: number[]; converged: boolean }
          expect(state.converged).toBe(true)
          expect(state.coef.length).toBe(ref.coef.length)
          state.coef.forEach((row, k) => row.forEach((c, j) => expect(Math.abs(c - ref.coef[k]![j]!)).toBeLessThan(1e-4)))
          state.intercept.forEach((b, k) => expect(Math.abs(b - ref.intercept[k]!)).toBeLessThan(1e-4))
          const proba = model.predictProba(frame)
          const k = set.classes.length
          const out = new Float64Array(k)
          ref.predictProba.forEach((expected, i) => {
            expected.forEach((v, c) => expect(Math.abs(proba[i * k + c]! - v)).toBeLessThan(1e-5))
            const row = frame.row(i)
            expect(model.predictProbaRow(row, out)).toBe(out)
            for (let c = 0; c < k; c++) expect(out[c]).toBe(proba[i * k + c]) // same scoring code, same order
          })
        })
      }
    }
  })
}

crossCheck('binary', fixture.binary)
crossCheck('3 classes', fixture.multiclass)

describe('logistic behaviour', () => {
  const set = fixture.multiclass
  const frame = frameOf(set.X, set.y)

  it('predict is the argmax of predictProba on frames and rows alike', async () => {
    const model = await logistic.fit(frame, 'y', 'classification', logistic.defaults)
    const proba = model.predictProba(frame)
    const predicted = model.predict(frame)
    let agree = 0
    for (let i = 0; i < frame.rows; i++) {
      const row = [proba[i * 3]!, proba[i * 3 + 1]!, proba[i * 3 + 2]!]
      expect(predicted[i]).toBe(row.indexOf(Math.max(...row)))
      expect(model.predictRow(frame.row(i))).toBe(predicted[i])
      if (String(set.y[i]) === model.classes![predicted[i]!]) agree++
    }
    expect(agree / frame.rows).toBeGreaterThan(0.45) // well above chance (1/3) on this noisy set (flip_y=0.1)
  })

  it('save/load round-trips exactly through JSON', async () => {
    const model = await logistic.fit(frame, 'y', 'classification', logistic.resolveParams({ C: 0.3 }))
    const saved = JSON.parse(JSON.stringify(model.save()))
    const loaded = logistic.load(saved)
    expect(loaded.save()).toEqual(model.save())
    expect(loaded.predictProba(frame)).toEqual(model.predictProba(frame))
    expect(() => logistic.load({ ...saved, kind: 'ridge' })).toThrow(/'ridge' model, not 'logistic'/)
  })

  it('string targets become sorted classes, and classWeight names them', async () => {
    const names = ['zebra', 'ant', 'moose']
    const labelled = frame.withColumn(categoricalColumn('y', set.y.map((v) => names[v]!)))
    const model = await logistic.fit(labelled, 'y', 'classification', logistic.resolveParams({ classWeight: { ant: 2 } }))
    expect(model.classes).toEqual(['ant', 'moose', 'zebra'])
    await expect(
      logistic.fit(labelled, 'y', 'classification', logistic.resolveParams({ classWeight: { cat: 2 } })),
    ).rejects.toThrow(/classWeight' names class 'cat'.*Classes: ant, moose, zebra/)
  })

  it('is reproducible: the same data gives the same coefficients', async () => {
    const a = await logistic.fit(frame, 'y', 'classification', logistic.defaults)
    const b = await logistic.fit(frame, 'y', 'classification', logistic.defaults)
    expect(a.save()).toEqual(b.save())
  })

  it('rejects one class only, NaN targets, and missing feature values', async () => {
    const one = frame.withColumn(numericColumn('y', new Float64Array(frame.rows).fill(1)))
    await expect(logistic.fit(one, 'y', 'classification', logistic.defaults)).rejects.toThrow(/only one class \("1"\)/)
    const target = Float64Array.from(set.y)
    target[5] = Number.NaN
    await expect(logistic.fit(frame.withColumn(numericColumn('y', target)), 'y', 'classification', logistic.defaults)).rejects.toThrow(
      /Target column 'y' has a missing value \(NaN\) at row 5/,
    )
    const x0 = Float64Array.from(frame.numeric('x0'))
    x0[0] = Number.NaN
    await expect(logistic.fit(frame.withColumn(numericColumn('x0', x0)), 'y', 'classification', logistic.defaults)).rejects.toThrow(
      /Column 'x0' has 1 missing values.*imputer/,
    )
    const allMissing = frame.withColumn(numericColumn('x1', new Float64Array(frame.rows).fill(Number.NaN)))
    await expect(logistic.fit(allMissing, 'y', 'classification', logistic.defaults)).rejects.toThrow(/'x1' is entirely missing/)
    const categorical = new Frame([...frame.columns, categoricalColumn('colour', set.y.map(() => 'red'))])
    await expect(logistic.fit(categorical, 'y', 'classification', logistic.defaults)).rejects.toThrow(/'colour' is categorical.*encode/)
    await expect(logistic.fit(frame, 'y', 'regression', logistic.defaults)).rejects.toThrow(/does not support task 'regression'/)
  })

  it('refuses Newton when the Hessian would be huge, and bad sample weights', async () => {
    const wide = new Frame([
      ...Array.from({ length: 400 }, (_, j) => numericColumn(`f${j}`, [j, 1, 2, 3, 4, 5])),
      numericColumn('y', [0, 1, 2, 0, 1, 2]),
    ])
    await expect(logistic.fit(wide, 'y', 'classification', logistic.resolveParams({ solver: 'newton' }))).rejects.toThrow(
      /1203×1203 Hessian.*use solver 'lbfgs'/,
    )
    const weights = new Float64Array(frame.rows).fill(1)
    weights[9] = -1
    const weighted = frame.withColumn(numericColumn('w', weights))
    await expect(logistic.fit(weighted, 'y', 'classification', logistic.resolveParams({ weightColumn: 'w' }))).rejects.toThrow(
      /Weight column 'w' has the value -1 at row 9/,
    )
    await expect(logistic.fit(frame, 'y', 'classification', logistic.resolveParams({ weightColumn: 'nope' }))).rejects.toThrow(
      /'weightColumn' names 'nope'/,
    )
  })

  it('rejects bad params naming the field', () => {
    expect(() => logistic.resolveParams({ C: 0 })).toThrow(/'C' must be a finite number > 0/)
    expect(() => logistic.resolveParams({ penalty: 'l1' })).toThrow(/'penalty' must be one of 'l2', 'none'/)
    expect(() => logistic.resolveParams({ maxIter: 1.5 })).toThrow(/'maxIter' must be an integer/)
    expect(() => logistic.resolveParams({ classWeight: 'even' })).toThrow(/'classWeight' must be 'balanced'/)
  })

  it('reports progress per iteration and stops when aborted', async () => {
    const events: number[] = []
    await logistic.fit(frame, 'y', 'classification', logistic.defaults, { progress: (e) => events.push(e.done) })
    expect(events.length).toBeGreaterThan(2)
    expect(events).toEqual([...events].sort((a, b) => a - b))
    const controller = new AbortController()
    const fit = logistic.fit(frame, 'y', 'classification', logistic.defaults, {
      signal: controller.signal,
      progress: (e) => {
        if (e.done === 2) controller.abort()
      },
    })
    await expect(fit).rejects.toMatchObject({ code: 'ABORTED', message: expect.stringMatching(/aborted/) })
  })

  it('says when it stops before converging (separable data without a penalty)', async () => {
    const x = Array.from({ length: 40 }, (_, i) => i - 19.5)
    const separable = new Frame([numericColumn('x', x), numericColumn('y', x.map((v) => (v > 0 ? 1 : 0)))])
    const messages: string[] = []
    const params = logistic.resolveParams({ penalty: 'none', maxIter: 5 })
    const model = await logistic.fit(separable, 'y', 'classification', params, { progress: (e) => messages.push(e.message ?? '') })
    expect((model.save().state as { converged: boolean }).converged).toBe(false)
    expect(messages.at(-1)).toMatch(/did not converge in 5 iterations; raise maxIter/)
    expect(model.predict(separable)).toEqual(Float64Array.from(x, (v) => (v > 0 ? 1 : 0)))
  })

  it('single-row prediction allocates nothing when given out, and checks its size', async () => {
    const model = await logistic.fit(frame, 'y', 'classification', logistic.defaults)
    const row = frame.row(0)
    expect(() => model.predictProbaRow(row, new Float64Array(2))).toThrow(/'out' has 2 slots/)
    expect(() => model.predictRow({ ...row, x4: 'abc' })).toThrow(/Feature 'x4' must be a number/)
    expect(() => model.predict(frame.drop(['x5']))).toThrow(/trained on column 'x5'/)
  })
})
