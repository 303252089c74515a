import { describe, expect, it } from 'vitest'
import { SqliteDriver } from './sqlite-driver.js'

describe('SqliteDriver', () => {
  it('runs a transaction alone: statements from other callers wait until it commits', async () => {
    const driver = new SqliteDriver({ path: ':memory:' })
    await driver.exec('CREATE TABLE t (v INTEGER)')
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    let entered!: () => void
    const inside = new Promise<void>((resolve) => (entered = resolve))
    const tx = driver.transaction(async (t) => {
      await t.run('INSERT INTO t (v) VALUES (1)')
      entered()
      await gate
      await t.run('INSERT INTO t (v) VALUES (2)')
    })
    await inside
    // Issued while the transaction is open: it must not join it (it would land between 1 and 2).
    const outside = driver.run('INSERT INTO t (v) VALUES (3)')
    await new Promise((resolve) => setImmediate(resolve))
    release()
    await Promise.all([tx, outside])
    expect((await driver.all<{ v: number }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v)).toEqual([1, 2, 3])
    await driver.close()
  })

  it('never lets a statement issued as a transaction starts slip into it', async () => {
    const driver = new SqliteDriver({ path: ':memory:' })
    await driver.exec('CREATE TABLE t (v INTEGER)')
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const tx = driver.transaction(async (t) => {
      await t.run('INSERT INTO t (v) VALUES (1)')
      await gate
      await t.run('INSERT INTO t (v) VALUES (2)')
    })
    const outside = driver.run('INSERT INTO t (v) VALUES (3)')
    await new Promise((resolve) => setImmediate(resolve))
    release()
    await Promise.all([tx, outside])
    const order = (await driver.all<{ v: number }>('SELECT v FROM t ORDER BY rowid')).map((r) => r.v)
    expect([[3, 1, 2], [1, 2, 3]]).toContainEqual(order)
    await driver.close()
  })

  it('rolls back a failed transaction and keeps serving', async () => {
    const driver = new SqliteDriver({ path: ':memory:' })
    await driver.exec('CREATE TABLE t (v INTEGER)')
    await expect(
      driver.transaction(async (t) => {
        await t.run('INSERT INTO t (v) VALUES (1)')
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect(await driver.get('SELECT count(*) AS n FROM t')).toEqual({ n: 0 })
    await driver.close()
  })

  it('keeps serving once more statement shapes than it caches have been used', async () => {
    const driver = new SqliteDriver({ path: ':memory:' })
    for (let i = 0; i < 1200; i++) expect(await driver.get(`SELECT ${i} AS n`)).toEqual({ n: i })
    expect(await driver.get('SELECT 0 AS n')).toEqual({ n: 0 })
    await driver.close()
  })
})
