import { describe, expect, it } from 'vitest'
import { Frame, numericColumn } from '../../core/frame.js'
import { ridge } from './ridge.js'
import { frameOf, loadLinearFixture } from './fixture.test-support.js'

const fixture = loadLinearFixture()

describe('ridge against scikit-learn Ridge', () => {
  for (const ref of fixture.ridge.fits) {
    it(`alpha=${ref.alpha} fitIntercept=${ref.fitIntercept} weighted=${ref.weighted}`, async () => {
      const { X, y, sampleWeight } = fixture.ridge
      const frame = frameOf(X, y, ref.weighted ? sampleWeight : undefined)
      const params = ridge.resolveParams({ alpha: ref.alpha, fitIntercept: ref.fitIntercept, weightColumn: ref.weighted ? 'w' : null })
      const model = await ridge.fit(frame, 'y', 'regression', params)
      expect(model.features).toEqual(X[0]!.map((_, j) => `x${j}`))
      const state = model.save().state as { coef: number[]; intercept: number }
      state.coef.forEach((c, j) => expect(Math.abs(c - ref.coef[j]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.coef[j]!))))
      expect(Math.abs(state.intercept - ref.intercept)).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.intercept)))
      const predicted = model.predict(frame)
      ref.predict.forEach((v, i) => {
        expect(Math.abs(predicted[i]! - v)).toBeLessThan(1e-6 * Math.max(1, Math.abs(v)))
        expect(model.predictRow(frame.row(i))).toBe(predicted[i])
      })
    })
  }
})

describe('ridge behaviour', () => {
  const { X, y } = fixture.ridge
  const frame = frameOf(X, y)

  it('save/load round-trips exactly through JSON', async () => {
    const model = await ridge.fit(frame, 'y', 'regression', ridge.resolveParams({ alpha: 3 }))
    const loaded = ridge.load(JSON.parse(JSON.stringify(model.save())))
    expect(loaded.save()).toEqual(model.save())
    expect(loaded.predict(frame)).toEqual(model.predict(frame))
  })

  it('rejects bad params naming the field', () => {
    expect(() => ridge.resolveParams({ alpha: -1 })).toThrow(/'alpha' must be a finite number >= 0/)
    expect(() => ridge.resolveParams({ alpah: 1 })).toThrow(/Unknown ridge param 'alpah'/)
    expect(() => ridge.resolveParams({ fitIntercept: 'yes' })).toThrow(/'fitIntercept' must be true or false/)
  })

  it('names a column with missing values and suggests an imputer', async () => {
    const values = Float64Array.from(frame.numeric('x3'))
    values[7] = Number.NaN
    const bad = frame.withColumn(numericColumn('x3', values))
    await expect(ridge.fit(bad, 'y', 'regression', ridge.defaults)).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringMatching(/Column 'x3' has 1 missing values.*imputer/),
    })
  })

  it('rejects NaN or Infinity in the target, and a classification task', async () => {
    const target = Float64Array.from(y)
    target[3] = Number.POSITIVE_INFINITY
    await expect(ridge.fit(frame.withColumn(numericColumn('y', target)), 'y', 'regression', ridge.defaults)).rejects.toThrow(
      /Target column 'y' has Infinity at row 3/,
    )
    target[3] = Number.NaN
    await expect(ridge.fit(frame.withColumn(numericColumn('y', target)), 'y', 'regression', ridge.defaults)).rejects.toThrow(/missing value/)
    await expect(ridge.fit(frame, 'y', 'classification', ridge.defaults)).rejects.toThrow(/does not support task 'classification'/)
  })

  it('reports collinear features when alpha is 0', async () => {
    const twin = new Frame([...frame.columns, numericColumn('twin', frame.numeric('x1'))])
    await expect(ridge.fit(twin, 'y', 'regression', ridge.resolveParams({ alpha: 0 }))).rejects.toThrow(/singular at 'twin'.*alpha > 0/)
  })

  it('rejects a feature set that differs at predict time', async () => {
    const model = await ridge.fit(frame, 'y', 'regression', ridge.defaults)
    expect(() => model.predict(frame.drop(['x2']))).toThrow(/trained on column 'x2'.*missing/)
    const row = { ...frame.row(0), x2: null }
    expect(() => model.predictRow(row)).toThrow(/Feature 'x2' is missing/)
    expect(() => model.predictProbaRow(frame.row(0))).toThrow(/regression model/)
  })
})
