import type { Migration } from '../../sql/migrate.js'
import { tracking } from './0001-tracking.js'
import { registry } from './0002-registry.js'
import { predictions } from './0003-predictions.js'
import { monitoring } from './0004-monitoring.js'
import { pipelines } from './0005-pipelines.js'

/** Append-only: add a new numbered file for every schema change; never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [tracking, registry, predictions, monitoring, pipelines]
