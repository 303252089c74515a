import { describe, expect, it } from 'vitest'
import { expectCode } from './registry-contract-support.js'
import type { ContractContext } from './registry-contract-support.js'

type Move = [alias: string, from: string | null, to: string | null, by: string]

export function describeAliasContract(ctx: ContractContext): void {
  describe('aliases and their history', () => {
    async function modelWithVersions(name: string, count: number): Promise<void> {
      await ctx.store().createRegisteredModel({ name })
      for (let i = 0; i < count; i++) await ctx.store().createModelVersion({ name, source: `runs:/r${i}/model` })
    }

    async function moves(name: string, alias?: string): Promise<Move[]> {
      return (await ctx.store().aliasHistory(name, alias)).map((m) => [m.alias, m.fromVersion, m.toVersion, m.movedBy])
    }

    it('points an alias at a version, shows it on the version and the model, and resolves it', async () => {
      const s = ctx.store()
      await modelWithVersions('fraud', 2)
      await s.setAlias('fraud', 'champion', '1', 'ana')
      await s.setAlias('fraud', 'challenger', '2', 'ana')
      await s.setAlias('fraud', 'baseline', '1', 'ana')
      const byAlias = await s.getVersionByAlias('fraud', 'champion')
      expect(byAlias).toMatchObject({ name: 'fraud', version: '1', aliases: ['baseline', 'champion'] })
      expect((await s.getModelVersion('fraud', '2')).aliases).toEqual(['challenger'])
      expect((await s.getRegisteredModel('fraud')).aliases).toEqual([
        { alias: 'baseline', version: '1' },
        { alias: 'challenger', version: '2' },
        { alias: 'champion', version: '1' },
      ])
      const listed = await s.searchModelVersions({ filter: "name = 'fraud'", orderBy: ['version_number ASC'] })
      expect(listed.items.map((v) => v.aliases)).toEqual([['baseline', 'champion'], ['challenger']])
    })

    it('answers an unknown alias with INVALID_PARAMETER_VALUE, as MLflow', async () => {
      const s = ctx.store()
      await modelWithVersions('fraud', 1)
      await expectCode(s.getVersionByAlias('fraud', 'ghost'), 'INVALID_PARAMETER_VALUE', 'Registered model alias ghost not found.')
      await expectCode(s.setAlias('fraud', 'champion', '7', 'ana'), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.setAlias('absent', 'champion', '1', 'ana'), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.deleteAlias('absent', 'champion', 'ana'), 'RESOURCE_DOES_NOT_EXIST')
      await expectCode(s.aliasHistory('absent'), 'RESOURCE_DOES_NOT_EXIST')
    })

    it('records set, move and delete with who and when; a no-op set or delete records nothing', async () => {
      const s = ctx.store()
      await modelWithVersions('fraud', 3)
      const t0 = ctx.clock().now()
      await s.setAlias('fraud', 'champion', '1', 'ana')
      ctx.clock().advance(1000)
      await s.setAlias('fraud', 'champion', '2', 'bo')
      await s.setAlias('fraud', 'champion', '2', 'bo') // already there
      ctx.clock().advance(1000)
      await s.setAlias('fraud', 'challenger', '3', 'cy')
      await s.deleteAlias('fraud', 'champion', 'dee')
      await s.deleteAlias('fraud', 'champion', 'dee') // already gone
      await expectCode(s.getVersionByAlias('fraud', 'champion'), 'INVALID_PARAMETER_VALUE')
      const history = await s.aliasHistory('fraud')
      expect(history.map((m) => [m.alias, m.fromVersion, m.toVersion, m.movedBy, m.movedAt - t0])).toEqual([
        ['champion', null, '1', 'ana', 0],
        ['champion', '1', '2', 'bo', 1000],
        ['challenger', null, '3', 'cy', 2000],
        ['champion', '2', null, 'dee', 2000],
      ])
      expect(history.every((m) => m.name === 'fraud')).toBe(true)
      const ids = history.map((m) => m.id)
      expect([...ids].sort((a, b) => a - b)).toEqual(ids)
      expect(new Set(ids).size).toBe(ids.length)
      expect(await moves('fraud', 'challenger')).toEqual([['challenger', null, '3', 'cy']])
      expect(await moves('fraud', 'never')).toEqual([])
    })

    it('deleting a version removes the aliases on it and records those moves', async () => {
      const s = ctx.store()
      await modelWithVersions('fraud', 2)
      await s.setAlias('fraud', 'champion', '2', 'ana')
      await s.setAlias('fraud', 'shadow', '2', 'ana')
      await s.setAlias('fraud', 'baseline', '1', 'ana')
      await s.deleteModelVersion('fraud', '2')
      await expectCode(s.getVersionByAlias('fraud', 'champion'), 'INVALID_PARAMETER_VALUE')
      expect((await s.getRegisteredModel('fraud')).aliases).toEqual([{ alias: 'baseline', version: '1' }])
      const history = await s.aliasHistory('fraud')
      expect(history.slice(3).map((m) => [m.alias, m.fromVersion, m.toVersion])).toEqual([
        ['champion', '2', null],
        ['shadow', '2', null],
      ])
    })

    it('keeps the history through a rename, under the new name', async () => {
      const s = ctx.store()
      await modelWithVersions('fraud', 2)
      await s.setAlias('fraud', 'champion', '1', 'ana')
      await s.renameRegisteredModel('fraud', 'fraud-v2')
      await s.setAlias('fraud-v2', 'champion', '2', 'bo')
      const history = await s.aliasHistory('fraud-v2', 'champion')
      expect(history.map((m) => [m.name, m.fromVersion, m.toVersion, m.movedBy])).toEqual([
        ['fraud-v2', null, '1', 'ana'],
        ['fraud-v2', '1', '2', 'bo'],
      ])
      await expectCode(s.aliasHistory('fraud'), 'RESOURCE_DOES_NOT_EXIST')
    })

    it('does not leak the history of a deleted model into a new one of the same name', async () => {
      const s = ctx.store()
      await modelWithVersions('fraud', 1)
      await s.setAlias('fraud', 'champion', '1', 'ana')
      await s.deleteRegisteredModel('fraud')
      await modelWithVersions('fraud', 1)
      expect(await moves('fraud')).toEqual([])
      await s.setAlias('fraud', 'champion', '1', 'bo')
      expect(await moves('fraud')).toEqual([['champion', null, '1', 'bo']])
    })

    it('keeps the history a consistent chain under concurrent moves', async () => {
      const s = ctx.store()
      await modelWithVersions('fraud', 3)
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => s.setAlias('fraud', 'champion', String((i % 3) + 1), `user${i}`)),
      )
      const history = await s.aliasHistory('fraud', 'champion')
      expect(history.length).toBeGreaterThanOrEqual(1)
      expect(history[0]!.fromVersion).toBeNull()
      for (let i = 1; i < history.length; i++) {
        expect(history[i]!.fromVersion).toBe(history[i - 1]!.toVersion)
        expect(history[i]!.toVersion).not.toBe(history[i]!.fromVersion)
      }
      expect((await s.getVersionByAlias('fraud', 'champion')).version).toBe(history[history.length - 1]!.toVersion)
    })

    it('keeps aliases unique per model, not across models', async () => {
      const s = ctx.store()
      await modelWithVersions('fraud', 2)
      await modelWithVersions('churn', 1)
      await s.setAlias('fraud', 'champion', '2', 'ana')
      await s.setAlias('churn', 'champion', '1', 'ana')
      expect((await s.getVersionByAlias('fraud', 'champion')).version).toBe('2')
      expect((await s.getVersionByAlias('churn', 'champion')).name).toBe('churn')
      expect(await moves('churn')).toEqual([['champion', null, '1', 'ana']])
    })
  })
}
