import { isKeelError, notFound } from '../core/errors.js'
import type { Tracking } from '../tracking/tracking.js'
import type { Experiment, ViewType } from '../tracking/types.js'

const MAX_PAGES = 1000

/**
 * An experiment by id or by name, as users type them: all digits is tried as an id first (ids are string
 * integers), then as a name.
 */
export async function resolveExperiment(tracking: Tracking, ref: string): Promise<Experiment> {
  if (/^\d+$/.test(ref)) {
    try {
      return await tracking.getExperiment(ref)
    } catch (error) {
      if (!isKeelError(error) || error.code !== 'RESOURCE_DOES_NOT_EXIST') throw error
    }
  }
  const byName = await tracking.getExperimentByName(ref)
  if (byName !== undefined) return byName
  throw notFound(`No experiment has the id or name '${ref}'; list them with 'keel experiments list --view all'.`)
}

/** Ids of every experiment of a view, paging through them (bounded). */
export async function allExperimentIds(tracking: Tracking, viewType: ViewType = 'ACTIVE_ONLY'): Promise<string[]> {
  const ids: string[] = []
  let pageToken: string | undefined
  for (let i = 0; i < MAX_PAGES; i++) {
    const page = await tracking.searchExperiments(
      pageToken === undefined ? { viewType, maxResults: 1000 } : { viewType, maxResults: 1000, pageToken },
    )
    for (const experiment of page.items) ids.push(experiment.experimentId)
    pageToken = page.nextPageToken
    if (pageToken === undefined) break
  }
  return ids
}

/** `--view active|deleted|all` → MLflow's view type. */
export function viewType(value: string | undefined): ViewType {
  switch ((value ?? 'active').toLowerCase()) {
    case 'deleted':
      return 'DELETED_ONLY'
    case 'all':
      return 'ALL'
    default:
      return 'ACTIVE_ONLY'
  }
}

/** A single-quoted filter literal; MLflow's grammar has no escapes, so a name with `'` is double-quoted. */
export function quoteFilterValue(value: string): string {
  return value.includes("'") ? `"${value}"` : `'${value}'`
}
