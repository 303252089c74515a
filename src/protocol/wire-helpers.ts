import type { Param, Tag } from '../tracking/types.js'
import { toInt64 } from './wire-numbers.js'
import type { WireTag } from './wire-types.js'

/** Shared by the wire mappers: lenient readers (MLflow omits unset fields, so they default) and tags. */

export const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback)
export const int = (value: unknown, fallback = 0): number => toInt64(value) ?? fallback
export const list = <T>(value: readonly T[] | undefined): readonly T[] => value ?? []

/** Sets `key` only when `value` is a non-empty string (proto2 leaves unset fields out). */
export function withString<T extends object, K extends string>(target: T, key: K, value: string | undefined): T {
  if (value !== undefined && value !== '') (target as Record<string, unknown>)[key] = value
  return target
}

export const toWireTag = (tag: Tag | Param): WireTag => ({ key: tag.key, value: tag.value })
export const fromWireTag = (tag: WireTag): Tag => ({ key: str(tag.key), value: str(tag.value) })
export const toWireParam = toWireTag
export const fromWireParam = (param: WireTag): Param => ({ key: str(param.key), value: str(param.value) })
