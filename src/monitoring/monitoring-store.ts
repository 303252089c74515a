import type { Page } from '../core/page.js'
import type { Alert, FeedbackRecord } from './types.js'

export interface FeedbackQuery {
  /** Only feedback for these prediction ids. */
  predictionIds?: readonly string[]
  maxResults?: number
  pageToken?: string
}

export interface AppendFeedbackResult {
  /** Newly stored. */
  accepted: number
  /** Ids already labelled with the same outcome (a retry): ignored, not counted twice. */
  duplicates: number
}

export interface AlertQuery {
  model?: string
  rule?: string
  /** Epoch ms, inclusive / exclusive. */
  from?: number
  to?: number
  maxResults?: number
  pageToken?: string
}

/**
 * Where monitoring keeps what it learns after serving: true outcomes (feedback) and fired alerts. Predictions
 * themselves live in the PredictionStore. Adapters: SQL (SQLite, PostgreSQL) and HTTP.
 */
export interface MonitoringStore {
  /**
   * Stores outcomes in one transaction. Every id must name a stored prediction (else RESOURCE_DOES_NOT_EXIST,
   * nothing stored); an id already labelled with a different outcome is RESOURCE_ALREADY_EXISTS (nothing
   * stored); the same outcome again is a duplicate, ignored.
   */
  appendFeedback(records: readonly FeedbackRecord[]): Promise<AppendFeedbackResult>
  listFeedback(query: FeedbackQuery): Promise<Page<FeedbackRecord>>
  appendAlert(alert: Alert): Promise<void>
  listAlerts(query: AlertQuery): Promise<Page<Alert>>
  /** The last alert of a rule for a model (cooldowns). */
  lastAlert(rule: string, model: string): Promise<Alert | undefined>
}
