import type { Page } from '../core/page.js'

/** One prediction a server answered (or a shadow scored), as stored for monitoring. */
export interface PredictionRecord {
  /** Unique; returned to the caller, so feedback can name it later. */
  id: string
  /** The deployment (registered model name) that received the request. */
  deployment: string
  model: string
  version: string
  /** Which arm answered; 'shadow' when the challenger scored a copy that was not returned. */
  arm: 'champion' | 'challenger' | 'shadow'
  /** Epoch ms when the prediction was made. */
  timestamp: number
  /** Raw inputs by column (missing as null). */
  inputs: Record<string, number | string | null>
  /** `prediction`, and `probability_<class>` for classifiers. */
  outputs: Record<string, number | string | null>
}

export interface PredictionQuery {
  deployment?: string
  model?: string
  version?: string
  arm?: PredictionRecord['arm']
  /** Epoch ms, inclusive. */
  from?: number
  /** Epoch ms, exclusive. */
  to?: number
  /** Page size (default 1,000, at most 50,000). */
  maxResults?: number
  pageToken?: string
}

/**
 * The port where served predictions land (the serving path writes through a bounded buffer; monitoring reads).
 * Pages come in (timestamp, id) order so windows can be read forwards.
 */
export interface PredictionStore {
  /** Stores the records in one transaction; a record whose id is already stored is ignored (retries are safe). */
  appendPredictions(records: readonly PredictionRecord[]): Promise<void>
  listPredictions(query: PredictionQuery): Promise<Page<PredictionRecord>>
  countPredictions(query: Omit<PredictionQuery, 'maxResults' | 'pageToken'>): Promise<number>
}
